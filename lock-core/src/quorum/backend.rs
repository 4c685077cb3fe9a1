//! `Quorum`: the `LockBackend` made of several backends.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::builder::QuorumBuilder;
use super::give_back::{GiveBacks, NodeAnswer};
use super::tally::{Tally, majority};
use crate::backend::{
    AcquireOutcome, BackendInfo, Capabilities, DynLockBackend, ExtendOutcome, LockBackend,
    LockInfo, ReleaseOutcome, ReleaseWatch,
};
use crate::error::{BackendError, BackendErrorKind};
use crate::key::LockKey;
use crate::timing::Drift;
use crate::token::LockToken;

const NAME: &str = "quorum";

/// Redlock: a lock is held when a majority (⌊N/2⌋ + 1) of N independent backends hold it.
///
/// `Quorum` is itself a [`LockBackend`], so the manager, auto-refresh, loss signalling and the
/// conformance suite work on it unchanged; its nodes can be any backends (separate Redis servers,
/// typically). It tolerates the loss of a minority of nodes.
///
/// - acquire asks every node at once, each with a timeout, and wins only with a majority within
///   the validity window (ttl − elapsed − drift); it answers as soon as the outcome is decided.
///   A lost vote in which some node granted releases the token on every node before it
///   returns, once the slow nodes have answered (so a release still in flight cannot delete the
///   grant of the next attempt). A vote a majority refused with nothing granted returns at once,
///   without waiting for a dead or slow node; should that node apply the attempt late, it stays
///   held by this token until its ttl or the token's next attempt, and can never form a
///   majority for anyone.
/// - watch (release notification) returns once a majority of nodes registered it.
/// - extend succeeds on a majority; release releases everywhere.
/// - No fencing tokens: counters on independent nodes cannot be kept strictly increasing across
///   node failures (a node that restarts empty or is out-voted would hand out old numbers), so
///   the capability is not advertised. Check the holder's token at the resource instead, or use
///   one Redis with fencing.
/// - Safety needs nodes that keep their locks across restarts (AOF with `appendfsync always`),
///   or restarts delayed by more than the longest ttl.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend, Quorum};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let quorum = Quorum::new(vec![MemoryBackend::new(), MemoryBackend::new(), MemoryBackend::new()])?;
/// let locks = LockManager::new(quorum);
/// let guard = locks.try_lock("payments", Duration::from_secs(5)).await?.expect("free");
/// assert_eq!(guard.fencing_token(), None);
/// guard.release().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Quorum {
    nodes: Arc<[Arc<DynLockBackend>]>,
    node_timeout: Duration,
    drift: Drift,
    notify: bool,
    give_backs: Arc<GiveBacks>,
}

impl Quorum {
    /// A quorum over `nodes` with default timings; see [`QuorumBuilder::build`] for what is
    /// refused.
    pub fn new<B: LockBackend>(nodes: impl IntoIterator<Item = B>) -> Result<Self, crate::Error> {
        nodes.into_iter().fold(Self::builder(), QuorumBuilder::node).build()
    }

    /// A builder for nodes given one by one, shared nodes, and timings.
    pub fn builder() -> QuorumBuilder {
        QuorumBuilder::default()
    }

    pub(crate) fn assemble(
        nodes: Vec<Arc<DynLockBackend>>,
        node_timeout: Duration,
        drift: Drift,
    ) -> Self {
        let notify = nodes.iter().all(|n| n.info().capabilities.release_notify);
        Self { nodes: nodes.into(), node_timeout, drift, notify, give_backs: Arc::default() }
    }

    /// How many nodes.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// How many nodes must agree.
    pub fn majority(&self) -> usize {
        majority(self.nodes.len())
    }

    fn timeout_for(&self, ttl: Duration) -> Duration {
        self.node_timeout.min(ttl / 3).max(Duration::from_millis(1))
    }

    /// Runs `op` on every node with `timeout`; the stream yields answers as they come.
    fn ask_all<T, F>(
        &self,
        timeout: Duration,
        op: F,
    ) -> FuturesUnordered<BoxFuture<'static, Answer<T>>>
    where
        T: Send + 'static,
        F: Fn(Arc<DynLockBackend>) -> BoxFuture<'static, Result<T, BackendError>>,
    {
        self.nodes
            .iter()
            .map(|node| {
                let call = op(node.clone());
                let answer: BoxFuture<'static, Answer<T>> = Box::pin(async move {
                    match tokio::time::timeout(timeout, call).await {
                        Ok(result) => result,
                        Err(_) => Err(timed_out()),
                    }
                });
                answer
            })
            .collect()
    }

    /// Asks every node for the lock, each call bounded by the node timeout for `ttl` and
    /// started only after any give-back of this token on that node (see `give_back`).
    fn ask_to_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> FuturesUnordered<BoxFuture<'static, NodeAnswer>> {
        let timeout = self.timeout_for(ttl);
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let before = self.give_backs.before(key, token, i);
                let (node, key, token) = (node.clone(), key.clone(), token.clone());
                let answer: BoxFuture<'static, NodeAnswer> = Box::pin(async move {
                    let call = async {
                        if let Some(before) = before {
                            before.await;
                        }
                        node.try_acquire(&key, &token, ttl).await
                    };
                    match tokio::time::timeout(timeout, call).await {
                        Ok(result) => (i, result),
                        Err(_) => (i, Err(timed_out())),
                    }
                });
                answer
            })
            .collect()
    }
}

fn timed_out() -> BackendError {
    BackendError::new(NAME, BackendErrorKind::Timeout, "a node did not answer in time")
}

type Answer<T> = Result<T, BackendError>;

/// Lets calls still in flight complete (each is bounded by the node timeout).
fn finish_in_background<O: Send + 'static>(answers: FuturesUnordered<BoxFuture<'static, O>>) {
    if answers.is_empty() {
        return;
    }
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(answers.for_each(|_| async {}));
    }
}

fn undecided(tally: &Tally, what: &str, last: Option<BackendError>) -> BackendError {
    let message = format!(
        "{what}: {} of {} nodes agreed, {} refused, {} failed; a majority of {} is needed",
        tally.yes,
        tally.nodes,
        tally.no,
        tally.failed,
        majority(tally.nodes)
    );
    let error = BackendError::new(NAME, BackendErrorKind::Unavailable, message);
    match last {
        Some(source) => error.with_source(source),
        None => error,
    }
}

impl fmt::Debug for Quorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quorum")
            .field(
                "nodes",
                &self
                    .nodes
                    .iter()
                    .map(|n| n.endpoint().unwrap_or_else(|| n.info().name.to_owned()))
                    .collect::<Vec<_>>(),
            )
            .field("node_timeout", &self.node_timeout)
            .finish()
    }
}

#[async_trait]
impl LockBackend for Quorum {
    fn info(&self) -> BackendInfo {
        BackendInfo::new(NAME, Capabilities::none().with_release_notify(self.notify))
    }

    fn endpoint(&self) -> Option<String> {
        let nodes: Vec<String> =
            self.nodes.iter().map(|n| n.endpoint().unwrap_or_else(|| "?".to_owned())).collect();
        Some(format!("quorum[{}]", nodes.join(", ")))
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let started = Instant::now();
        let mut answers = self.ask_to_acquire(key, token, ttl);
        let mut tally = Tally::new(self.nodes.len());
        let mut holder_ttl: Option<Option<Duration>> = None;
        let mut last_error = None;
        // Nodes that answered without refusing: they may hold our token.
        let mut maybe_ours = Vec::new();
        let mut answered = vec![false; self.nodes.len()];
        while let Some((node, answer)) = answers.next().await {
            answered[node] = true;
            match answer {
                Ok(AcquireOutcome::Acquired { .. }) => {
                    tally.yes += 1;
                    maybe_ours.push(node);
                }
                Ok(AcquireOutcome::Held { ttl_remaining }) => {
                    tally.no += 1;
                    // The soonest a held node may free up: wake then and look again.
                    holder_ttl = Some(match (holder_ttl.flatten(), ttl_remaining) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    });
                }
                Err(e) => {
                    tally.failed += 1;
                    maybe_ours.push(node);
                    last_error = Some(e);
                }
            }
            match tally.decided() {
                Some(true) => {
                    let elapsed = started.elapsed();
                    if elapsed + self.drift.for_ttl(ttl) < ttl {
                        // Let the stragglers finish; their grants are ours and released with the lock.
                        finish_in_background(answers);
                        return Ok(AcquireOutcome::Acquired { fencing: None });
                    }
                    tracing::debug!(key = %key, ?elapsed, "quorum reached after the validity window; giving it back");
                    break;
                }
                Some(false) => break,
                None => {}
            }
        }
        // Lost: give the token back now where it may be, and in the background where no answer
        // came yet (see `give_back`).
        let silent = (0..self.nodes.len()).filter(|n| !answered[*n]).collect();
        self.give_backs.spawn(&self.nodes, self.node_timeout, key, token, answers, silent);
        let releases: FuturesUnordered<_> = maybe_ours
            .into_iter()
            .map(|n| tokio::time::timeout(self.node_timeout, self.nodes[n].release(key, token)))
            .collect();
        releases.for_each(|_| async {}).await;
        match holder_ttl {
            Some(ttl_remaining) => Ok(AcquireOutcome::Held { ttl_remaining }),
            // A majority granted it, too late to be valid: given back; try again like contention.
            None if tally.yes >= self.majority() => {
                Ok(AcquireOutcome::Held { ttl_remaining: None })
            }
            None => Err(undecided(&tally, "acquire", last_error)),
        }
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let mut answers = self.ask_all(self.node_timeout, |node| {
            let (key, token) = (key.clone(), token.clone());
            Box::pin(async move { node.release(&key, &token).await })
        });
        let mut tally = Tally::new(self.nodes.len());
        let mut last_error = None;
        while let Some(answer) = answers.next().await {
            match answer {
                Ok(ReleaseOutcome::Released) => tally.yes += 1,
                Ok(_) => tally.no += 1,
                Err(e) => {
                    tally.failed += 1;
                    last_error = Some(e);
                }
            }
            if tally.decided() == Some(true) || tally.no > tally.nodes - self.majority() {
                break;
            }
        }
        // The slow nodes are released in the background; a dead node does not hold up the caller.
        finish_in_background(answers);
        match tally.decided() {
            Some(true) => Ok(ReleaseOutcome::Released),
            _ if tally.no > tally.nodes - self.majority() => Ok(ReleaseOutcome::NotHeld),
            _ => Err(undecided(&tally, "release", last_error)),
        }
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let mut answers = self.ask_all(self.timeout_for(ttl), |node| {
            let (key, token) = (key.clone(), token.clone());
            Box::pin(async move { node.extend(&key, &token, ttl).await })
        });
        let mut tally = Tally::new(self.nodes.len());
        let mut last_error = None;
        while let Some(answer) = answers.next().await {
            match answer {
                Ok(ExtendOutcome::Extended) => tally.yes += 1,
                Ok(_) => tally.no += 1,
                Err(e) => {
                    tally.failed += 1;
                    last_error = Some(e);
                }
            }
            if tally.decided().is_some() {
                break;
            }
        }
        finish_in_background(answers);
        match tally.decided() {
            Some(true) => Ok(ExtendOutcome::Extended),
            _ if tally.no > tally.nodes - self.majority() => Ok(ExtendOutcome::NotHeld),
            _ => Err(undecided(&tally, "extend", last_error)),
        }
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let mut answers = self.ask_all(self.node_timeout, |node| {
            let key = key.clone();
            Box::pin(async move { node.inspect(&key).await })
        });
        // Per holder, the remaining time on each node that has it (`None`: no expiry).
        let mut seen: Vec<(LockToken, Vec<Option<Duration>>)> = Vec::new();
        let (mut answered, mut last_error) = (0, None);
        while let Some(answer) = answers.next().await {
            match answer {
                Ok(Some(info)) => {
                    answered += 1;
                    match seen.iter_mut().find(|(holder, _)| *holder == info.holder) {
                        Some((_, ttls)) => ttls.push(info.ttl_remaining),
                        None => seen.push((info.holder, vec![info.ttl_remaining])),
                    }
                }
                Ok(None) => answered += 1,
                Err(e) => last_error = Some(e),
            }
        }
        let needed = self.majority();
        if let Some((holder, mut ttls)) = seen.into_iter().find(|(_, ttls)| ttls.len() >= needed) {
            // The lock lasts while a majority still has it: until the needed-th longest expires.
            ttls.sort_by(|a, b| b.unwrap_or(Duration::MAX).cmp(&a.unwrap_or(Duration::MAX)));
            return Ok(Some(LockInfo { holder, ttl_remaining: ttls[needed - 1], fencing: None }));
        }
        if answered < self.majority() {
            let tally = Tally {
                nodes: self.nodes.len(),
                yes: 0,
                no: answered,
                failed: self.nodes.len() - answered,
            };
            return Err(undecided(&tally, "inspect", last_error));
        }
        Ok(None)
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        if !self.notify {
            return Err(BackendError::unsupported(NAME, "watch_release"));
        }
        let mut answers = self.ask_all(self.node_timeout, |node| {
            let key = key.clone();
            Box::pin(async move { node.watch_release(&key).await })
        });
        // Registered on a majority is enough to return: a release reaches every node, so it
        // fires those. A dead or slow node must not hold up every waiter for the node timeout.
        let majority = self.majority();
        let mut watches = Vec::new();
        let mut last_error = None;
        while watches.len() < majority {
            match answers.next().await {
                Some(Ok(watch)) => watches.push(watch),
                Some(Err(e)) => last_error = Some(e),
                None => break,
            }
        }
        if watches.is_empty() {
            let tally = Tally { nodes: self.nodes.len(), yes: 0, no: 0, failed: self.nodes.len() };
            return Err(undecided(&tally, "watch_release", last_error));
        }
        // The holder's release reaches every node, so wait for a majority of the watches (of
        // those registered, if fewer). A single node firing is more likely a losing contender
        // giving back the one node it won, which must not wake everybody. Watches registered
        // late join in.
        let needed = majority.min(watches.len());
        let mut fired: FuturesUnordered<ReleaseWatch> = watches.into_iter().collect();
        Ok(Box::pin(async move {
            let mut count = 0;
            loop {
                tokio::select! {
                    Some(answer) = answers.next() => {
                        if let Ok(watch) = answer {
                            fired.push(watch);
                        }
                    }
                    Some(()) = fired.next() => {
                        count += 1;
                        if count >= needed {
                            return;
                        }
                    }
                    else => return,
                }
            }
        }))
    }
}
