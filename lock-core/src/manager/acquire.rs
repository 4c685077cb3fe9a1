//! The acquire loop: attempts, waiting, validity, and cleanup on cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::inner::{ManagerInner, release_with_retry, spawn_release};
use super::queue::Turn;
use crate::backend::{AcquireOutcome, ReleaseWatch};
use crate::error::{BackendError, Result};
use crate::guard::{Acquisition, GuardShared, LockGuard, LockHandle};
use crate::key::LockKey;
use crate::retry::{MIN_RETRY_DELAY, RetryPolicy};
use crate::telemetry::{self, Acquired};
use crate::token::LockToken;
use tracing::Instrument;

/// A checked request.
pub(super) struct Plan {
    pub(super) key: LockKey,
    pub(super) token: LockToken,
    pub(super) ttl: Duration,
    pub(super) validity: Duration,
    pub(super) policy: RetryPolicy,
    /// `Some(max_hold)` when the guard is auto-refreshed.
    pub(super) refresh: Option<Option<Duration>>,
}

/// The retry policy ran out while the lock stayed held elsewhere.
pub(super) struct Exhausted {
    pub(super) key: LockKey,
    pub(super) attempts: u32,
    pub(super) waited: Duration,
}

/// Releases the token in the background if dropped while armed: the acquire future was
/// cancelled (or failed) at a point where the store may have granted the lock.
struct MayHold<'a> {
    inner: &'a ManagerInner,
    key: &'a LockKey,
    token: &'a LockToken,
    armed: bool,
}

impl Drop for MayHold<'_> {
    fn drop(&mut self) {
        if self.armed {
            tracing::debug!(key = %self.key, "acquire ended while it may hold the lock; releasing");
            spawn_release(&self.inner.backend, self.key, self.token);
        }
    }
}

/// Runs the attempts inside a `lock.acquire` span and records how they ended.
pub(super) async fn acquire(
    inner: &Arc<ManagerInner>,
    plan: Plan,
) -> Result<Result<LockGuard, Exhausted>> {
    let backend = inner.info.name;
    let span = telemetry::acquire_span(&plan.key, backend);
    let started = Instant::now();
    let calls = AtomicU32::new(0);
    let result = attempts(inner, plan, &calls).instrument(span.clone()).await;
    let _entered = span.enter();
    let (outcome, waited) = match &result {
        Ok(Ok(guard)) => (Acquired::Yes, guard.waited()),
        Ok(Err(exhausted)) => (Acquired::No, exhausted.waited),
        Err(_) => (Acquired::Error, started.elapsed()),
    };
    telemetry::acquire_finished(
        backend,
        outcome,
        calls.load(Ordering::Relaxed),
        started.elapsed(),
        waited,
    );
    result
}

/// The head of `key`'s local queue, or `None` when the wait deadline came first.
async fn wait_turn(inner: &ManagerInner, key: &LockKey, deadline: Option<Instant>) -> Option<Turn> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, inner.queues.turn(key)).await.ok(),
        None => Some(inner.queues.turn(key).await),
    }
}

async fn attempts(
    inner: &Arc<ManagerInner>,
    plan: Plan,
    counted: &AtomicU32,
) -> Result<Result<LockGuard, Exhausted>> {
    let Plan { key, token, ttl, validity, policy, refresh } = plan;
    let backend = &inner.backend;
    let started = Instant::now();
    let wait_deadline = policy.wait_limit().and_then(|w| started.checked_add(w));
    let notify = inner.info.capabilities.release_notify && policy.may_retry();
    let mut may_hold = MayHold { inner, key: &key, token: &token, armed: false };
    let mut watch: Option<ReleaseWatch> = None;
    // Attempts the policy counts, and calls to the store in all (re-checks included).
    let (mut tries, mut calls) = (0u32, 0u32);
    let mut recheck = false;
    // This manager's earlier waiters for the key go first (see `queue`).
    let mut turn: Option<Turn> = None;
    if policy.may_retry() && inner.queues.is_busy(&key) {
        match wait_turn(inner, &key, wait_deadline).await {
            Some(t) => turn = Some(t),
            None => {
                let waited = started.elapsed();
                return Ok(Err(Exhausted { key: key.clone(), attempts: 0, waited }));
            }
        }
    }
    loop {
        if !recheck {
            tries += 1;
        }
        recheck = false;
        calls += 1;
        counted.store(calls, Ordering::Relaxed);
        may_hold.armed = true;
        let sent = Instant::now();
        let result = backend.try_acquire(&key, &token, ttl).await;
        let mut holder_ttl = None;
        let mut held = false;
        let mut last_error: Option<BackendError> = None;
        match result {
            Ok(AcquireOutcome::Acquired { fencing }) => {
                if Instant::now() < sent + validity {
                    may_hold.armed = false;
                    let acquired = Acquisition {
                        id: inner.next_id(),
                        key: key.clone(),
                        token: token.clone(),
                        fencing,
                        acquired_at: sent,
                        attempts: calls,
                        waited: sent - started,
                        refreshed: refresh.is_some(),
                        backend: inner.info.name,
                    };
                    let shared = Arc::new(GuardShared::new(acquired, sent + validity, ttl));
                    if let Some(max_hold) = refresh
                        && !inner.refresher.add(shared.clone(), max_hold)
                    {
                        tracing::warn!(key = %key, "no tokio runtime for auto-refresh; the lock will not be extended");
                    }
                    tracing::debug!(key = %key, attempts = calls, fencing = ?fencing, "lock acquired");
                    return Ok(Ok(LockGuard::new(LockHandle { shared, manager: inner.clone() })));
                }
                // Granted too late to leave any validity: give it back and count a failure.
                tracing::debug!(key = %key, elapsed = ?sent.elapsed(), "lock granted after its validity; releasing");
                if release_with_retry(backend, &key, &token).await.is_ok() {
                    may_hold.armed = false;
                }
            }
            Ok(AcquireOutcome::Held { ttl_remaining }) => {
                telemetry::contended(inner.info.name);
                // A holder other than us: whatever an earlier ambiguous attempt did, we hold nothing.
                may_hold.armed = false;
                holder_ttl = ttl_remaining;
                held = true;
            }
            Err(e) if e.is_temporary() => last_error = Some(e),
            Err(e) => return Err(e.into()),
        }
        let now = Instant::now();
        let out_of_attempts = policy.attempts_limit().is_some_and(|n| tries >= n);
        let out_of_time = wait_deadline.is_some_and(|d| now >= d);
        if !policy.may_retry() || out_of_attempts || out_of_time {
            if let Some(e) = last_error {
                return Err(e.into());
            }
            return Ok(Err(Exhausted { key: key.clone(), attempts: calls, waited: now - started }));
        }
        if held && turn.is_none() {
            // About to wait: behind this manager's other waiters, then one more look.
            match wait_turn(inner, &key, wait_deadline).await {
                Some(t) if t.waited() => {
                    turn = Some(t);
                    recheck = true;
                    continue;
                }
                Some(t) => turn = Some(t),
                None => {
                    let waited = started.elapsed();
                    return Ok(Err(Exhausted { key: key.clone(), attempts: calls, waited }));
                }
            }
        }
        if held && notify && watch.is_none() {
            match backend.watch_release(&key).await {
                Ok(w) => {
                    watch = Some(w);
                    // Subscribed now; one more look catches a release that came before it.
                    recheck = true;
                    continue;
                }
                Err(e) => {
                    tracing::debug!(key = %key, error = %e, "release notification unavailable; polling")
                }
            }
        }
        let mut pause = policy.delay(tries);
        if let Some(holder) = holder_ttl {
            pause = pause.min(holder + MIN_RETRY_DELAY);
        }
        if let Some(deadline) = wait_deadline {
            pause = pause.min(deadline.saturating_duration_since(now));
        }
        let pause = pause.max(MIN_RETRY_DELAY);
        match watch.as_mut() {
            Some(w) if held => {
                tokio::select! {
                    () = w => watch = None,
                    () = tokio::time::sleep(pause) => {}
                }
            }
            _ => tokio::time::sleep(pause).await,
        }
        if notify && watch.is_none() && held {
            // Woken by a release: subscribe before the next try so no wake-up can slip by.
            if let Ok(w) = backend.watch_release(&key).await {
                watch = Some(w);
            }
        }
    }
}
