//! Giving back a lost vote without waiting for the slow nodes.
//!
//! A lost acquire must not leave its token on any node (enough stray grants would keep everyone
//! from a majority until they expire). The nodes that answered are released before the acquire
//! returns; the nodes still silent (a dead one would take the whole node timeout) are released
//! in the background once they answer. The manager's next attempt reuses the token, so its call
//! to such a node first waits for that node's give-back: a release arriving after the new grant
//! would delete it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::backend::{AcquireOutcome, DynLockBackend};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// One node's answer to an acquire, with the node's index.
pub(super) type NodeAnswer = (usize, Result<AcquireOutcome, BackendError>);

type Done = Shared<BoxFuture<'static, ()>>;

struct Pending {
    id: u64,
    nodes: Vec<usize>,
    done: Done,
}

/// Give-backs in progress, by key and token.
#[derive(Default)]
pub(super) struct GiveBacks {
    pending: Mutex<HashMap<(LockKey, LockToken), Pending>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl GiveBacks {
    /// What a call for `key` and `token` to node `node` must wait for first, if anything.
    pub(super) fn before(&self, key: &LockKey, token: &LockToken, node: usize) -> Option<Done> {
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = pending.get(&(key.clone(), token.clone()))?;
        entry.nodes.contains(&node).then(|| entry.done.clone())
    }

    /// Releases `token` on each node of `silent` once it answers (unless it refused), in the
    /// background; later calls to those nodes with this key and token wait for it.
    pub(super) fn spawn(
        self: &Arc<Self>,
        nodes: &Arc<[Arc<DynLockBackend>]>,
        timeout: Duration,
        key: &LockKey,
        token: &LockToken,
        silent: FuturesUnordered<BoxFuture<'static, NodeAnswer>>,
        silent_nodes: Vec<usize>,
    ) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if silent.is_empty() {
            return;
        }
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        // A give-back still running for this token comes first, and keeps its nodes guarded.
        let (previous, mut guarded) = match pending.get(&(key.clone(), token.clone())) {
            Some(p) => (Some(p.done.clone()), p.nodes.clone()),
            None => (None, Vec::new()),
        };
        guarded
            .extend(silent_nodes.into_iter().filter(|n| !guarded.contains(n)).collect::<Vec<_>>());
        let (nodes, key, token) = (nodes.clone(), key.clone(), token.clone());
        let work = {
            let (key, token) = (key.clone(), token.clone());
            async move {
                if let Some(previous) = previous {
                    previous.await;
                }
                silent
                    .for_each_concurrent(None, |(i, answer)| {
                        let (node, key, token) = (nodes[i].clone(), key.clone(), token.clone());
                        async move {
                            if !matches!(answer, Ok(AcquireOutcome::Held { .. })) {
                                let _ =
                                    tokio::time::timeout(timeout, node.release(&key, &token)).await;
                            }
                        }
                    })
                    .await;
            }
        };
        let done = work.boxed().shared();
        let entry = Pending { id, nodes: guarded, done: done.clone() };
        pending.insert((key.clone(), token.clone()), entry);
        drop(pending);
        let this = self.clone();
        runtime.spawn(async move {
            done.await;
            let mut pending = this.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let ours = (key, token);
            if pending.get(&ours).is_some_and(|p| p.id == id) {
                pending.remove(&ours);
            }
        });
    }
}
