//! Calls to one node for one key and token, applied in the order they were made.
//!
//! A quorum answers as soon as a majority has, and gives a lost vote back without waiting for
//! slow nodes; a node call it stopped waiting for (a timeout, a straggler) may still be applied
//! later. If that late call were a give-back and the manager's next attempt with the same token
//! had meanwhile been granted on that node, the give-back would delete the new grant, and a
//! guard would be handed out for a majority that no longer exists. So every node call runs in
//! its own task, to completion even when its caller stopped waiting, and starts only after the
//! previous call for the same key and token to the same node has completed. A caller still waits
//! at most its timeout (the wait for the previous call included). Every call is sent in its
//! turn, even one whose caller stopped waiting: a straggler's grant is released with the lock, a
//! give-back must reach the node, and an extension must reach a node that granted late, or the
//! lock would outlive its first ttl on a bare majority. A call still unanswered ten node
//! timeouts (at least a second) after it was sent is presumed lost, and later calls stop
//! waiting for it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::oneshot;

use crate::call_timeout::bounded;
use crate::error::{BackendError, BackendErrorKind};
use crate::key::LockKey;
use crate::token::LockToken;

/// A node call still unanswered after this many node timeouts is presumed lost.
const ORPHAN_TIMEOUTS: u32 = 10;

type Done = Shared<BoxFuture<'static, ()>>;
type Slot = (LockKey, LockToken, usize);

/// The last call made for each key, token and node that has not completed yet.
pub(super) struct Sequencer {
    last: Mutex<HashMap<Slot, (u64, Done)>>,
    next_id: AtomicU64,
    /// How long a call may run before it is presumed lost.
    orphan_limit: Duration,
}

impl Sequencer {
    /// A sequencer for nodes answering within `node_timeout`.
    pub(super) fn new(node_timeout: Duration) -> Self {
        let orphan_limit = (node_timeout * ORPHAN_TIMEOUTS).max(Duration::from_secs(1));
        Self { last: Mutex::default(), next_id: AtomicU64::new(0), orphan_limit }
    }

    /// Runs `call` on node `node` once every earlier call for `key` and `token` there has
    /// completed (or is presumed lost), whether or not its caller still waits; the returned
    /// future gives its answer, or a timeout error after `timeout`.
    pub(super) fn run<T: Send + 'static>(
        self: &Arc<Self>,
        backend: &'static str,
        key: &LockKey,
        token: &LockToken,
        node: usize,
        timeout: Duration,
        call: BoxFuture<'static, Result<T, BackendError>>,
    ) -> impl Future<Output = Result<T, BackendError>> + Send + 'static {
        let (answer_tx, answer_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = (key.clone(), token.clone(), node);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = last.get(&slot).map(|(_, done)| done.clone());
        // Done once the previous call is done and this one is answered (or presumed lost).
        let before = previous.clone();
        let done: Done = async move {
            if let Some(before) = before {
                before.await;
            }
            let _ = done_rx.await;
        }
        .boxed()
        .shared();
        last.insert(slot.clone(), (id, done));
        drop(last);
        let (this, limit) = (self.clone(), self.orphan_limit);
        let work = async move {
            if let Some(previous) = previous {
                let _ = bounded(limit, previous).await;
            }
            let result = match bounded(limit, call).await {
                Some(result) => result,
                None => Err(timed_out(backend)),
            };
            let _ = answer_tx.send(result);
            let mut last = this.last.lock().unwrap_or_else(PoisonError::into_inner);
            if last.get(&slot).is_some_and(|(latest, _)| *latest == id) {
                last.remove(&slot);
            }
            drop(last);
            drop(done_tx);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(work);
            }
            // No runtime to run it on: nothing can be awaited either; the caller sees an error.
            Err(_) => drop(work),
        }
        async move {
            match bounded(timeout, answer_rx).await {
                Some(Ok(result)) => result,
                Some(Err(_)) => Err(BackendError::new(
                    backend,
                    BackendErrorKind::Other,
                    "the node call was dropped (no tokio runtime)",
                )),
                None => Err(timed_out(backend)),
            }
        }
    }

    /// Completes once every call for `key` on `node` made so far, for any token, has completed
    /// or is presumed lost: a read of that node then sees what those calls did.
    pub(super) fn completed(&self, key: &LockKey, node: usize) -> impl Future<Output = ()> + use<> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let in_flight: Vec<Done> = last
            .iter()
            .filter(|((k, _, n), _)| k == key && *n == node)
            .map(|(_, (_, done))| done.clone())
            .collect();
        drop(last);
        let limit = self.orphan_limit;
        async move {
            let _ = bounded(limit, futures_util::future::join_all(in_flight)).await;
        }
    }

    /// Slots with a call in flight, for tests.
    #[cfg(test)]
    pub(super) fn in_flight(&self) -> usize {
        self.last.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A node that did not answer in time.
pub(super) fn timed_out(backend: &'static str) -> BackendError {
    BackendError::new(backend, BackendErrorKind::Timeout, "a node did not answer in time")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LockKey {
        LockKey::with_default_prefix("k").expect("valid")
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_waits_for_the_one_before_even_after_its_caller_gave_up() {
        let seq = Arc::new(Sequencer::new(Duration::from_millis(200)));
        let token = LockToken::generate().expect("entropy");
        let order = Arc::new(Mutex::new(Vec::new()));
        let log = |what: &'static str, after: u64| {
            let order = order.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(after)).await;
                order.lock().expect("lock").push(what);
                Ok::<_, BackendError>(())
            }
            .boxed()
        };
        let ms = Duration::from_millis;
        let slow = seq.run("t", &key(), &token, 0, ms(10), log("slow", 100));
        assert!(slow.await.is_err(), "the caller stops waiting after 10 ms");
        let abandoned = seq.run("t", &key(), &token, 0, ms(10), log("abandoned", 0));
        assert!(abandoned.await.is_err(), "its caller gave up before its turn");
        let next = seq.run("t", &key(), &token, 0, ms(500), log("next", 0));
        let other_node = seq.run("t", &key(), &token, 1, ms(500), log("other node", 0));
        other_node.await.expect("not held up by node 0");
        next.await.expect("answered once the slow call completed");
        let order = order.lock().expect("lock").clone();
        assert_eq!(order, vec!["other node", "slow", "abandoned", "next"]);
        tokio::task::yield_now().await;
        assert_eq!(seq.in_flight(), 0, "completed slots are forgotten");
    }
}
