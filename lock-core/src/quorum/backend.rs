//! `Quorum`: the `LockBackend` made of several backends.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::FutureExt;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::builder::QuorumBuilder;
use super::sequence::{Sequencer, timed_out};
use super::tally::{Tally, majority};
use crate::backend::{
    AcquireOutcome, BackendInfo, Capabilities, DynLockBackend, ExtendOutcome, LockBackend,
    LockInfo, ReleaseOutcome, ReleaseWatch,
};
use crate::call_timeout::bounded;
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
///   A vote is lost as soon as its grants and the nodes still to answer that answered their
///   last call cannot make a majority (a failing node is not waited for). A lost vote gives
///   the token back on every node that did not refuse it: the nodes that
///   answered before it returns, the silent ones (a dead node would take the whole timeout) in
///   the background.
/// - Calls for one key and token to one node are applied in the order they were made: each runs
///   to completion in its own task, even after its caller stopped waiting, and starts only when
///   the previous one for that key and token there has completed. So a give-back or release
///   still in flight can never delete the grant of the token's next attempt.
/// - watch (release notification) returns once a majority of nodes registered it.
/// - extend succeeds on a majority and answers then; the nodes it did not wait for are still
///   sent the extension in their turn. Release releases everywhere.
/// - inspect reports a holder with a majority, and the lock as lasting until all but a minority
///   of its nodes' ttls ran out. It reads each node once this quorum's calls for the key still
///   in flight there have completed (an extension that answered after the majority is read, not
///   the ttl before it), within the node timeout. It waits for every node whose last call
///   answered, but not for one whose last call failed or timed out: then the figure may be
///   short, never long.
/// - No fencing tokens. Each node's own fences keep rising (the Redis backends floor them by
///   the node's clock), but a quorum's would not: two successive holders' majorities may share
///   a single node, and the largest of a majority's fences may come from another node whose
///   clock runs ahead, so the next holder's could be smaller. Order would rest on the nodes'
///   clocks agreeing to within the time between two acquisitions, and a fence exists for when
///   timing assumptions fail. So the capability is not advertised. Check the holder's token at
///   the resource instead, or use one Redis with fencing.
/// - No semaphores ([`crate::backend::Capabilities::permits`] is false). A permit held on a majority
///   of nodes does not bound the holders: with 3 nodes and 2 permits, holders on nodes {1, 2},
///   {2, 3} and {1, 3} are three, while no node counts more than two. Use one Redis (or a
///   Sentinel or Cluster deployment) for semaphores.
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
    sequencer: Arc<Sequencer>,
    /// Per node: whether its last call that came back (or ran out of time) answered. `inspect`
    /// waits for the answers of the nodes that did, and not for those that failed.
    answering: Arc<[AtomicBool]>,
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
        let sequencer = Arc::new(Sequencer::new(node_timeout));
        let answering = nodes.iter().map(|_| AtomicBool::new(true)).collect();
        Self { nodes: nodes.into(), node_timeout, drift, notify, sequencer, answering }
    }

    /// How many nodes.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// How many nodes must agree.
    pub fn majority(&self) -> usize {
        majority(self.nodes.len())
    }

    /// How many of the nodes still `waiting` for answered their last call.
    fn answering_among(&self, waiting: &[bool]) -> usize {
        waiting
            .iter()
            .zip(self.answering.iter())
            .filter(|(w, a)| **w && a.load(Ordering::Relaxed))
            .count()
    }

    /// Whether every node still `waiting` for failed its last call (so is not waited for).
    fn only_failing(&self, waiting: &[bool]) -> bool {
        self.answering_among(waiting) == 0
    }

    fn timeout_for(&self, ttl: Duration) -> Duration {
        self.node_timeout.min(ttl / 3).max(Duration::from_millis(1))
    }

    /// Runs `op` on every node (given its index) with `timeout`; the stream yields
    /// `(node, answer)` as they come.
    fn ask_all<T, F>(
        &self,
        timeout: Duration,
        op: F,
    ) -> FuturesUnordered<BoxFuture<'static, (usize, Answer<T>)>>
    where
        T: Send + 'static,
        F: Fn(usize, Arc<DynLockBackend>) -> BoxFuture<'static, Result<T, BackendError>>,
    {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let call = op(i, node.clone());
                let answering = self.answering.clone();
                let answer: BoxFuture<'static, (usize, Answer<T>)> = Box::pin(async move {
                    let result = match bounded(timeout, call).await {
                        Some(result) => result,
                        None => Err(timed_out(NAME)),
                    };
                    answering[i].store(result.is_ok(), Ordering::Relaxed);
                    (i, result)
                });
                answer
            })
            .collect()
    }

    /// Runs `op` on every node for `key` and `token`, each call ordered after the earlier ones
    /// for that key and token on that node (see `sequence`) and awaited at most `timeout`; the
    /// stream yields `(node, answer)` as they come.
    fn ask_in_order<T, F>(
        &self,
        key: &LockKey,
        token: &LockToken,
        timeout: Duration,
        op: F,
    ) -> FuturesUnordered<BoxFuture<'static, (usize, Answer<T>)>>
    where
        T: Send + 'static,
        F: Fn(Arc<DynLockBackend>, LockKey, LockToken) -> BoxFuture<'static, Answer<T>>,
    {
        (0..self.nodes.len()).map(|i| self.ask_node(i, key, token, timeout, &op)).collect()
    }

    fn ask_node<T, F>(
        &self,
        i: usize,
        key: &LockKey,
        token: &LockToken,
        timeout: Duration,
        op: &F,
    ) -> BoxFuture<'static, (usize, Answer<T>)>
    where
        T: Send + 'static,
        F: Fn(Arc<DynLockBackend>, LockKey, LockToken) -> BoxFuture<'static, Answer<T>>,
    {
        let answering = self.answering.clone();
        let call = op(self.nodes[i].clone(), key.clone(), token.clone());
        // Runs to completion even when nobody waits: a slow node's late answer counts.
        let call = Box::pin(async move {
            let result = call.await;
            answering[i].store(result.is_ok(), Ordering::Relaxed);
            result
        });
        let answer = self.sequencer.run(NAME, key, token, i, timeout, call);
        let answering = self.answering.clone();
        Box::pin(async move {
            let result = answer.await;
            if result.as_ref().is_err_and(|e| e.kind() == BackendErrorKind::Timeout) {
                answering[i].store(false, Ordering::Relaxed);
            }
            (i, result)
        })
    }
}

fn release_op(
    node: Arc<DynLockBackend>,
    key: LockKey,
    token: LockToken,
) -> BoxFuture<'static, Answer<ReleaseOutcome>> {
    Box::pin(async move { node.release(&key, &token).await })
}

type Answer<T> = Result<T, BackendError>;

impl Quorum {
    /// Counts the nodes' answers to a release or an extension until the outcome is settled:
    /// `true` when a majority said `yes`, `false` when more than a minority said no (the lock is
    /// not held there), an error when neither can happen any more.
    async fn vote<T>(
        &self,
        mut answers: FuturesUnordered<BoxFuture<'static, (usize, Answer<T>)>>,
        yes: impl Fn(&T) -> bool,
        what: &str,
    ) -> Result<bool, BackendError> {
        let mut tally = Tally::new(self.nodes.len());
        let mut last_error = None;
        while let Some((_, answer)) = answers.next().await {
            match answer {
                Ok(a) if yes(&a) => tally.yes += 1,
                Ok(_) => tally.no += 1,
                Err(e) => {
                    tally.failed += 1;
                    last_error = Some(e);
                }
            }
            if tally.settled() {
                break;
            }
        }
        match tally.decided() {
            Some(true) => Ok(true),
            _ if tally.no > tally.nodes - self.majority() => Ok(false),
            _ => Err(undecided(&tally, what, last_error)),
        }
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
        // A straggler's grant is ours and released with the lock: sent even after the vote.
        let timeout = self.timeout_for(ttl);
        let mut answers = self.ask_in_order(key, token, timeout, |n, k, t| {
            Box::pin(async move { n.try_acquire(&k, &t, ttl).await })
        });
        let mut tally = Tally::new(self.nodes.len());
        let mut holder_ttl: Option<Option<Duration>> = None;
        let mut last_error = None;
        // Per node: `Some(true)` granted, `Some(false)` refused, `None` failed or silent (it
        // may hold our token, but a give-back there waits behind the call in flight).
        let mut answered: Vec<Option<bool>> = vec![None; self.nodes.len()];
        let mut waiting = vec![true; self.nodes.len()];
        while let Some((node, answer)) = answers.next().await {
            waiting[node] = false;
            match answer {
                Ok(AcquireOutcome::Acquired { .. }) => {
                    tally.yes += 1;
                    answered[node] = Some(true);
                }
                Ok(AcquireOutcome::Held { ttl_remaining }) => {
                    tally.no += 1;
                    answered[node] = Some(false);
                    // The soonest a held node may free up: wake then and look again.
                    holder_ttl = Some(match (holder_ttl.flatten(), ttl_remaining) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    });
                }
                Err(e) => {
                    tally.failed += 1;
                    last_error = Some(e);
                }
            }
            match tally.decided() {
                Some(true) => {
                    let elapsed = started.elapsed();
                    if elapsed + self.drift.for_ttl(ttl) < ttl {
                        // The stragglers run on; their grants are ours and released with the lock.
                        return Ok(AcquireOutcome::Acquired { fencing: None });
                    }
                    tracing::debug!(key = %key, ?elapsed, "quorum reached after the validity window; giving it back");
                    break;
                }
                Some(false) => break,
                // Out of reach when the grants so far and the nodes still to answer that answer
                // at all cannot make a majority: lost now, not at a failing node's timeout. A
                // vote that holds its grants that long (one node of three dead) is refused by
                // every other contender meanwhile, who in turn hold theirs: split votes that
                // nobody wins, over and over.
                None if tally.yes + self.answering_among(&waiting) < self.majority() => break,
                None => {}
            }
        }
        // Lost: give the token back wherever it may be. Each release runs after that node's
        // acquire; wait for those of the nodes that granted (by now), the others go on by
        // themselves.
        while let Some(Some((node, answer))) = answers.next().now_or_never() {
            match answer {
                Ok(AcquireOutcome::Acquired { .. }) => answered[node] = Some(true),
                Ok(AcquireOutcome::Held { .. }) => answered[node] = Some(false),
                _ => {}
            }
        }
        let answered_releases: FuturesUnordered<_> = (0..self.nodes.len())
            .filter(|n| answered[*n] != Some(false))
            .map(|n| {
                let release = self.ask_node(n, key, token, self.node_timeout, &release_op);
                (n, release)
            })
            .filter_map(|(n, release)| (answered[n] == Some(true)).then_some(release))
            .collect();
        answered_releases.for_each(|_| async {}).await;
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
        let answers = self.ask_in_order(key, token, self.node_timeout, release_op);
        // The slow nodes are released in the background (each call runs to completion in its
        // own task); a dead node does not hold up the caller.
        let released = |a: &ReleaseOutcome| *a == ReleaseOutcome::Released;
        let yes = self.vote(answers, released, "release").await?;
        Ok(if yes { ReleaseOutcome::Released } else { ReleaseOutcome::NotHeld })
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let timeout = self.timeout_for(ttl);
        let answers = self.ask_in_order(key, token, timeout, |n, k, t| {
            Box::pin(async move { n.extend(&k, &t, ttl).await })
        });
        // Answers once the outcome is settled. The nodes still to answer are sent the extension
        // all the same, in their turn (see `sequence`), so the lock gets its new ttl on every
        // node that holds it, and `inspect` waits for those calls before reading a node.
        let yes = self.vote(answers, |a| *a == ExtendOutcome::Extended, "extend").await?;
        Ok(if yes { ExtendOutcome::Extended } else { ExtendOutcome::NotHeld })
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let mut answers = self.ask_all(self.node_timeout, |i, node| {
            let key = key.clone();
            let in_flight = self.sequencer.completed(&key, i);
            Box::pin(async move {
                in_flight.await;
                node.inspect(&key).await
            })
        });
        // Per holder, the remaining time on each node that has it (`None`: no expiry).
        let mut seen: Vec<(LockToken, Vec<Option<Duration>>)> = Vec::new();
        let (mut answered, mut pending, mut last_error) = (0, self.nodes.len(), None);
        let mut waiting: Vec<bool> = vec![true; self.nodes.len()];
        let needed = self.majority();
        // Answers once every node that may still answer has (a later answer can raise a
        // holder's reading: a node an extension reached after the majority it needed), or
        // once none can change the outcome: a holder has a majority and the nodes still silent
        // failed their last call, or no holder can have a majority any more. So a dead node does
        // not hold up every read for the node timeout.
        while let Some((node, answer)) = answers.next().await {
            pending -= 1;
            waiting[node] = false;
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
            if self.only_failing(&waiting) && seen.iter().any(|(_, ttls)| ttls.len() >= needed) {
                break;
            }
            let best = seen.iter().map(|(_, ttls)| ttls.len()).max().unwrap_or(0);
            if best + pending < needed && answered >= needed {
                break;
            }
        }
        if let Some((holder, mut ttls)) = seen.into_iter().find(|(_, ttls)| ttls.len() >= needed) {
            // The lock lasts while a majority still has it: until the needed-th longest of the
            // answers expires (at most the true figure, when a failing node has not answered).
            ttls.sort_by(|a, b| b.unwrap_or(Duration::MAX).cmp(&a.unwrap_or(Duration::MAX)));
            return Ok(Some(LockInfo { holder, ttl_remaining: ttls[needed - 1], fencing: None }));
        }
        if answered < needed {
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
        self.watch_nodes(key, false).await
    }

    /// Each node's: the quorum's attempt tries every node, and each refusal counts there.
    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.watch_nodes(key, true).await
    }
}

impl Quorum {
    /// A watch on every node (`watch_before_attempt` when `attempt_follows`, else
    /// `watch_release`), resolved when a majority of those registered fire.
    async fn watch_nodes(
        &self,
        key: &LockKey,
        attempt_follows: bool,
    ) -> Result<ReleaseWatch, BackendError> {
        if !self.notify {
            return Err(BackendError::unsupported(NAME, "watch_release"));
        }
        let mut answers = self.ask_all(self.node_timeout, |_, node| {
            let key = key.clone();
            Box::pin(async move {
                if attempt_follows {
                    node.watch_before_attempt(&key).await
                } else {
                    node.watch_release(&key).await
                }
            })
        });
        // Registered on a majority is enough to return: a release reaches every node, so it
        // fires those. A dead or slow node must not hold up every waiter for the node timeout.
        let majority = self.majority();
        let mut watches = Vec::new();
        let mut last_error = None;
        while watches.len() < majority {
            match answers.next().await {
                Some((_, Ok(watch))) => watches.push(watch),
                Some((_, Err(e))) => last_error = Some(e),
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
                    biased;
                    Some(answer) = answers.next() => {
                        if let (_, Ok(watch)) = answer {
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
