//! First come, first served among one manager's waiters for the same key.
//!
//! Without it, every waiter of a busy key races for it on each release, and the task that just
//! released (already on its way back) usually wins: waits grow long tails. So when an acquire
//! has to wait, it joins the key's local queue, and only the queue's head talks to the store;
//! a newcomer willing to wait does not barge ahead of a queue that exists (a single try, with
//! no retry policy, still takes a key it finds free). Waiters in other processes are not
//! ordered (the store has no queue), but each process sends one contender per key instead of
//! all of its waiters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as Gate, OwnedMutexGuard};

use crate::key::LockKey;

/// Which queue of a key a waiter joins. A lock or a semaphore's permits have one. A
/// reader-writer lock has one per kind of request, because a waiter at the head of a shared
/// queue could block one behind it that the store is waiting for: a reader at the head, refused
/// while a writer's waiting mark stands, would keep that writer (behind it) from ever asking
/// again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Lane {
    /// A lock, or a semaphore's permits.
    #[default]
    One,
    /// Reader-writer lock: reads.
    Read,
    /// Reader-writer lock: upgradeable reads.
    Upgradeable,
    /// Reader-writer lock: writes.
    Write,
    /// Reader-writer lock: upgrades (never behind writers, which wait for the upgrader).
    Upgrade,
}

type Gates = HashMap<(LockKey, Lane), Arc<Gate<()>>>;

/// The queues of one manager, one per key and lane with waiters (none for keys nobody waits
/// on).
#[derive(Default)]
pub(crate) struct WaitQueues {
    gates: Arc<Mutex<Gates>>,
}

impl std::fmt::Debug for WaitQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queued = self.gates.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("WaitQueues").field("keys", &queued).finish()
    }
}

/// A place in a key's queue; leaving (by drop) removes the queue once nobody is in it.
struct Ticket {
    gates: Arc<Mutex<Gates>>,
    key: (LockKey, Lane),
    gate: Arc<Gate<()>>,
}

/// The head of a key's queue: held while this waiter is the one contending for the key.
pub(crate) struct Turn {
    // Declared first so it is dropped first: the next waiter's turn starts before cleanup.
    _head: OwnedMutexGuard<()>,
    _ticket: Ticket,
    waited: bool,
}

impl Turn {
    /// Whether others were ahead (time passed, so the key is worth a fresh look).
    pub(crate) fn waited(&self) -> bool {
        self.waited
    }
}

impl WaitQueues {
    /// Whether anyone is queued for `key` in `lane`.
    pub(crate) fn is_busy(&self, key: &LockKey, lane: Lane) -> bool {
        let gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        gates.contains_key(&(key.clone(), lane))
    }

    /// Waits for the head of `key`'s queue in `lane` (joining it, or creating it).
    pub(crate) async fn turn(&self, key: &LockKey, lane: Lane) -> Turn {
        let key = (key.clone(), lane);
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
            gates.entry(key.clone()).or_default().clone()
        };
        let ticket = Ticket { gates: self.gates.clone(), key, gate };
        if let Ok(head) = ticket.gate.clone().try_lock_owned() {
            return Turn { _head: head, _ticket: ticket, waited: false };
        }
        // Cancellation while waiting drops the ticket, which leaves the queue.
        let head = ticket.gate.clone().lock_owned().await;
        Turn { _head: head, _ticket: ticket, waited: true }
    }

    /// Keys with a queue, for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.gates.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map and this ticket still point at the gate: nobody else is queued.
        if Arc::strong_count(&self.gate) == 2 {
            gates.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(name: &str) -> LockKey {
        LockKey::with_default_prefix(name).expect("valid")
    }

    #[tokio::test]
    async fn turns_come_in_arrival_order_and_queues_go_away() {
        let queues = Arc::new(WaitQueues::default());
        let first = queues.turn(&key("k"), Lane::One).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..5 {
            let (queues, order) = (queues.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = queues.turn(&key("k"), Lane::One).await;
                order.lock().expect("lock").push(i);
            }));
            // Let each waiter join before the next one.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(queues.is_busy(&key("k"), Lane::One));
        assert!(!queues.is_busy(&key("other"), Lane::One));
        drop(first);
        for waiter in waiters {
            waiter.await.expect("waiter");
        }
        assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2, 3, 4]);
        assert_eq!(queues.len(), 0, "an empty queue is removed");
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_no_queue_behind() {
        let queues = WaitQueues::default();
        let first = queues.turn(&key("k"), Lane::One).await;
        let cancelled =
            tokio::time::timeout(Duration::from_millis(10), queues.turn(&key("k"), Lane::One))
                .await;
        assert!(cancelled.is_err());
        drop(first);
        assert_eq!(queues.len(), 0);
    }
}
