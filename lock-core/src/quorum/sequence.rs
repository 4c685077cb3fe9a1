//! Calls to one node for one key and token, applied in the order they were made.
//!
//! A quorum answers as soon as a majority has, and gives a lost vote back without waiting for
//! slow nodes; a node call it stopped waiting for (a timeout, a straggler) may still be applied
//! later. If that late call were a give-back and the manager's next attempt with the same token
//! had meanwhile been granted on that node, the give-back would delete the new grant, and a
//! guard would be handed out for a majority that no longer exists. So every node call runs in
//! its own task, to completion even when its caller stopped waiting, and starts only after the
//! previous call for the same key and token to the same node has completed. A caller still waits
//! at most its timeout (the wait for the previous call included). An extension whose caller
//! stopped waiting before its turn came is not sent at all (it would change nothing anyone
//! waits for); acquires (a straggler's grant is released with the lock) and releases always are. A call still unanswered ten node timeouts (at least
//! a second) after it was sent is presumed lost, and later calls stop waiting for it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::oneshot;

use crate::error::{BackendError, BackendErrorKind};
use crate::key::LockKey;
use crate::token::LockToken;

/// A node call still unanswered after this many node timeouts is presumed lost.
const ORPHAN_TIMEOUTS: u32 = 10;

/// Whether a call must reach its node even when its caller no longer waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Sent only while someone waits for its answer (extend).
    IfAwaited,
    /// Always sent, in its turn (acquire; release, which gives back what earlier calls may
    /// have won).
    Always,
}

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
    /// completed (see `delivery` for a caller that stops waiting); the returned future gives its
    /// answer, or a timeout error after `timeout`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run<T: Send + 'static>(
        self: &Arc<Self>,
        backend: &'static str,
        key: &LockKey,
        token: &LockToken,
        node: usize,
        timeout: Duration,
        delivery: Delivery,
        call: BoxFuture<'static, Result<T, BackendError>>,
    ) -> impl Future<Output = Result<T, BackendError>> + Send + 'static {
        let (mut answer_tx, answer_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = (key.clone(), token.clone(), node);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = last.get(&slot).map(|(_, done)| done.clone());
        // Done once the previous call is done and this one is (sent and answered, or skipped),
        // so that skipping a call never lets a later one overtake an earlier one.
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
            let send = match (previous, delivery) {
                (None, Delivery::IfAwaited) => !answer_tx.is_closed(),
                (None, Delivery::Always) => true,
                (Some(previous), Delivery::IfAwaited) => tokio::select! {
                    () = previous => !answer_tx.is_closed(),
                    () = answer_tx.closed() => false,
                },
                (Some(previous), Delivery::Always) => {
                    let _ = tokio::time::timeout(limit, previous).await;
                    true
                }
            };
            if send {
                let result = match tokio::time::timeout(limit, call).await {
                    Ok(result) => result,
                    Err(_) => Err(timed_out(backend)),
                };
                let _ = answer_tx.send(result);
            }
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
            match tokio::time::timeout(timeout, answer_rx).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(BackendError::new(
                    backend,
                    BackendErrorKind::Other,
                    "the node call was dropped (no tokio runtime)",
                )),
                Err(_) => Err(timed_out(backend)),
            }
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
        let always = Delivery::Always;
        let slow = seq.run("t", &key(), &token, 0, ms(10), always, log("slow", 100));
        assert!(slow.await.is_err(), "the caller stops waiting after 10 ms");
        let skipped = seq.run("t", &key(), &token, 0, ms(10), Delivery::IfAwaited, log("skip", 0));
        assert!(skipped.await.is_err(), "its caller gave up before its turn");
        let next = seq.run("t", &key(), &token, 0, ms(500), always, log("next", 0));
        let other_node = seq.run("t", &key(), &token, 1, ms(500), always, log("other node", 0));
        other_node.await.expect("not held up by node 0");
        next.await.expect("answered once the slow call completed");
        assert_eq!(*order.lock().expect("lock"), vec!["other node", "slow", "next"]);
        tokio::task::yield_now().await;
        assert_eq!(seq.in_flight(), 0, "completed slots are forgotten");
    }
}
