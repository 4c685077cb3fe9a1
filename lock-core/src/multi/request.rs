//! `MultiLockRequest`: taking a set of locks all or nothing.

use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use super::{MultiGuard, atomic};
use crate::call_timeout::until;
use crate::error::{Error, Result};
use crate::guard::{LockGuard, LockHandle};
use crate::key::LockKey;
use crate::manager::{Hold, Lane, Lease, Line, LockManager, Terms, Wait};
use crate::retry::RetryPolicy;

/// A request for every lock of a set, built by [`LockManager::lock_all`]: all of them under
/// one [`MultiGuard`], or none.
///
/// When the backend can take the whole set in one atomic step
/// ([`crate::backend::Capabilities::lock_sets`]: a single Redis server, or a cluster with every name in
/// one slot), each attempt is one round trip that grants every member or none. Otherwise (a
/// cluster with the names in several slots, a Redlock quorum, a backend without it) the names
/// are taken in one fixed global order (their keys' bytes), one attempt each; when a member is
/// held elsewhere, the members taken so far are released at once, so a waiter never holds part
/// of a set. Either way the request then waits for the blocking member's release (release
/// notification when the backend has it, else its retry delay) before trying the whole set
/// again. Two requests with overlapping sets cannot deadlock: neither holds anything while it
/// waits. Options default to the manager's.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let transfer = locks
///     .lock_all(["accounts:alice", "accounts:bob"])
///     .ttl(Duration::from_secs(5))
///     .acquire()
///     .await?;
/// assert_eq!(transfer.guards().len(), 2);
/// assert!(locks.try_lock("accounts:bob", Duration::from_secs(1)).await?.is_none());
/// transfer.release().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a lock request does nothing until it is acquired"]
pub struct MultiLockRequest {
    manager: LockManager,
    keys: Result<Vec<LockKey>>,
    /// Ttl, retry, wait, auto-refresh, maximum hold: the set's, each member's too.
    hold: Hold,
}

impl MultiLockRequest {
    pub(crate) fn new(manager: LockManager, keys: Result<Vec<LockKey>>) -> Self {
        Self { manager, keys, hold: Hold::default() }
    }

    /// Every member's ttl (default: the manager's).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.hold.ttl = Some(ttl);
        self
    }

    /// How to retry the whole set while a member is held elsewhere.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.hold.retry = Some(policy);
        self
    }

    /// Waits at most `wait` in all; caps the retry policy.
    pub fn wait(mut self, wait: Duration) -> Self {
        self.hold.wait = Some(wait);
        self
    }

    /// Keeps every member extended until the guard is released or dropped (see
    /// [`crate::LockRequest::auto_refresh`]).
    pub fn auto_refresh(mut self) -> Self {
        self.hold.auto_refresh = true;
        self
    }

    /// With auto-refresh, stops extending the members this long after they were acquired.
    pub fn max_hold(mut self, max: Duration) -> Self {
        self.hold.max_hold = Some(max);
        self
    }

    /// Takes the set, retrying only if [`MultiLockRequest::retry`] or
    /// [`MultiLockRequest::wait`] was set (otherwise one pass). `Ok(None)` when a member stayed
    /// held by someone else; nothing of the set is then held.
    pub async fn try_acquire(self) -> Result<Option<MultiGuard>> {
        match self.start(false).await? {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Ok(None),
        }
    }

    /// Takes the set, waiting as the retry policy says (default: the manager's). Errors with
    /// [`Error::WaitTimeout`] (naming the member that stayed held) when the policy gives up.
    pub async fn acquire(self) -> Result<MultiGuard> {
        match self.start(true).await? {
            Ok(guard) => Ok(guard),
            Err(gave_up) => Err(gave_up),
        }
    }

    /// Takes the set as [`MultiLockRequest::acquire`] does, runs `work` with a handle to each
    /// member, releases the set, and returns what `work` returned. If any member is lost while
    /// `work` runs, `work`'s future is dropped and [`Error::Lost`] returned.
    pub async fn run<F, Fut, T, E>(self, work: F) -> Result<T, E>
    where
        F: FnOnce(Vec<LockHandle>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let guard = self.acquire().await?;
        let outcome = tokio::select! {
            biased;
            result = work(guard.handles()) => result,
            reason = guard.lost() => {
                let key = guard.guards().iter().find(|g| g.loss().is_some()).map(|g| g.key().clone());
                let key = key.unwrap_or_else(|| guard.guards()[0].key().clone());
                Err(Error::Lost { key, reason }.into())
            }
        };
        if let Err(e) = guard.release().await {
            tracing::warn!(error = %e, "release of a lock set after the critical section failed; its members expire at their ttl");
        }
        outcome
    }

    /// The acquire loop of an `acquire` (`waits`) or a `try_acquire`: `Ok(Err(WaitTimeout))` when
    /// the policy gave up while a member was held.
    async fn start(mut self, waits: bool) -> Result<Result<MultiGuard, Error>> {
        let mut keys = std::mem::replace(&mut self.keys, Ok(Vec::new()))?;
        keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        keys.dedup();
        if keys.is_empty() {
            return Err(Error::invalid("lock names", "a lock set needs at least one name"));
        }
        let inner = self.manager.inner().clone();
        let policy = self.hold.policy(&inner, waits)?;
        let Terms { ttl, validity, refresh } = self.hold.terms(&inner)?;
        let lease = Lease { ttl, validity, refresh, store: inner.backend.clone() };
        let started = Instant::now();
        let backend = self.manager.backend().clone();
        let mut wait =
            Wait::new(backend.clone(), &policy, inner.config.call_timeout, started, false);
        let atomic = self.manager.backend_info().capabilities.lock_sets
            && backend.can_acquire_together(&keys);
        let mut failed: u32 = 0;
        loop {
            wait.counted();
            wait.forget_watch();
            let pass = if atomic {
                atomic::attempt(&inner, &keys, &lease, started, failed + 1).await?
            } else {
                self.in_order(&keys).await?
            };
            let blocker = match pass {
                Pass::Granted(guard) => return Ok(Ok(guard)),
                Pass::Blocked(key) => {
                    wait.watch(&key).await;
                    Some(key)
                }
                Pass::Partial(key, held) => {
                    // Watch the blocker before giving the rest back, so its release cannot
                    // slip by.
                    wait.watch(&key).await;
                    give_back(held).await;
                    Some(key)
                }
                // A store that failed for now is retried as the policy allows.
                Pass::Failed(e) if e.is_temporary() && policy.may_retry() => {
                    tracing::debug!(error = %e, "taking a lock set failed; retrying");
                    None
                }
                Pass::Failed(e) => return Err(e.into()),
                Pass::Late => None,
            };
            failed += 1;
            let waited = started.elapsed();
            let out_of_attempts = policy.attempts_limit().is_some_and(|max| failed >= max);
            let now = Instant::now();
            if out_of_attempts || wait.is_over(now) {
                let key = blocker.unwrap_or_else(|| keys[0].clone());
                return Ok(Err(Error::WaitTimeout { key, waited, attempts: failed }));
            }
            let line = Line::Local(Lane::One);
            wait.back_off(now, line, policy.delay(failed), blocker.is_some(), None);
            // Until the blocker's release (its watch fired and the key is free) or the
            // backoff's end. A watch may fire for nothing (W4): the blocker is then looked at,
            // and while it is still held the wait goes on (watching again), so a spurious
            // wake-up costs one read, never a pass over the set.
            while wait.pause(blocker.is_some(), blocker.as_ref()).await {
                let Some(blocker) = &blocker else { break };
                match until(Some(wait.call_limit()), backend.inspect(blocker)).await {
                    Some(Ok(Some(_))) => {}
                    _ => break,
                }
            }
        }
    }

    /// One pass over the set in key order, a single attempt per member.
    async fn in_order(&self, keys: &[LockKey]) -> Result<Pass> {
        let mut held: Vec<LockGuard> = Vec::with_capacity(keys.len());
        for key in keys {
            match self.member(key).try_acquire().await {
                Ok(Some(guard)) => held.push(guard),
                Ok(None) => return Ok(Pass::Partial(key.clone(), held)),
                Err(Error::Backend(e)) => {
                    give_back(held).await;
                    return Ok(Pass::Failed(e));
                }
                Err(e) => {
                    give_back(held).await;
                    return Err(e);
                }
            }
        }
        Ok(Pass::Granted(MultiGuard::new(held)))
    }

    /// One attempt at one member, with the set's options.
    fn member(&self, key: &LockKey) -> crate::manager::LockRequest {
        let hold =
            Hold { retry: Some(RetryPolicy::none()), wait: Some(Duration::ZERO), ..self.hold };
        self.manager.lock_key(key.clone()).with_hold(hold)
    }
}

/// How one pass over a set ended.
pub(super) enum Pass {
    /// Every member is held.
    Granted(MultiGuard),
    /// The member at this key is held elsewhere; nothing of the set is held.
    Blocked(LockKey),
    /// The member at this key is held elsewhere; these members were taken before it and must
    /// be given back.
    Partial(LockKey, Vec<LockGuard>),
    /// The store failed; nothing of the set is held (what it may have granted is given back).
    Failed(crate::error::BackendError),
    /// The set was granted too late to leave any validity, and is being given back.
    Late,
}

/// Releases the members taken so far (concurrently); a failed release leaves the member to
/// expire at its ttl, as a dropped guard would.
async fn give_back(held: Vec<LockGuard>) {
    for outcome in join_all(held.into_iter().map(LockGuard::release)).await {
        if let Err(e) = outcome {
            tracing::debug!(error = %e, "giving back part of a lock set failed; it expires at its ttl");
        }
    }
}
