//! The acquire loop: attempts, waiting, validity, and cleanup on cancellation.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::inner::ManagerInner;
use super::queue::Turn;
use super::wait::{Line, Wait};
use crate::backend::{AcquireOutcome, DynLockBackend};
use crate::call_timeout::{bounded, timed_out, until};
use crate::error::{BackendError, BackendErrorKind, LossReason, Result};
use crate::guard::{Acquisition, GuardShared, LockGuard, LockHandle};
use crate::key::LockKey;
use crate::retry::RetryPolicy;
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
    /// Where the lease is taken: the manager's backend, or a semaphore's permit view.
    pub(super) store: Arc<DynLockBackend>,
    /// A refusal may leave something of the token's in the store (a writer's waiting mark): an
    /// acquire that ends without a guard releases the token even after one.
    pub(super) release_if_refused: bool,
    /// Where the waiter's turn is kept: a lane of this manager's local queue, or the store's
    /// own queue (`store` is then a fair view, whose attempts renew the place in time).
    pub(super) line: Line,
    /// The token is a read's that this request upgrades: the read owns the hold, so it is never
    /// released here unless the upgrade was granted (the read then ended, `Upgraded`).
    pub(super) borrowed: Option<Arc<GuardShared>>,
    /// For a leaked hold taken up: until when an extension of the leaked guard may still land,
    /// and the validity it would leave from then. A grant sent before then is trusted no
    /// further, nor are its extensions sent before then.
    pub(super) landing: Option<(Instant, Duration)>,
}

/// What a grant was: its fence, when its request was sent, after how many calls and how long a
/// wait.
pub(crate) struct Grant {
    pub(crate) fencing: Option<crate::fencing::FencingToken>,
    /// Until when a call that would renew the hold may still land (an attempt cut by the call
    /// timeout, a leaked guard's extension), and the least validity it would leave from then
    /// (see `GuardShared::late_attempts`).
    pub(crate) late: Option<(Instant, Duration)>,
    pub(crate) sent: Instant,
    pub(crate) attempts: u32,
    pub(crate) waited: Duration,
}

/// How a granted lock is held: its ttl and validity window, auto-refresh (`Some(max_hold)`),
/// and the store it lives in.
pub(crate) struct Lease {
    pub(crate) ttl: Duration,
    pub(crate) validity: Duration,
    pub(crate) refresh: Option<Option<Duration>>,
    pub(crate) store: Arc<DynLockBackend>,
}

/// The guard of a lock `store` granted to `token`, valid until `sent + validity`, registered
/// with the refresher when auto-refreshed.
pub(crate) fn guard_for(
    inner: &Arc<ManagerInner>,
    key: LockKey,
    token: LockToken,
    grant: Grant,
    lease: &Lease,
) -> LockGuard {
    let acquired = Acquisition {
        id: inner.next_id(),
        key,
        token,
        fencing: grant.fencing,
        acquired_at: grant.sent,
        attempts: grant.attempts,
        waited: grant.waited,
        refreshed: lease.refresh.is_some(),
        backend: inner.info.name,
        store: lease.store.clone(),
    };
    let shared = Arc::new(GuardShared::new(acquired, grant.sent + lease.validity, lease.ttl));
    if let Some((until, validity)) = grant.late {
        shared.late_attempts(until, validity);
    }
    if let Some(max_hold) = lease.refresh
        && !inner.refresher.add(shared.clone(), max_hold)
    {
        tracing::warn!(key = %shared.key, "no tokio runtime for auto-refresh; the lock will not be extended");
    }
    tracing::debug!(key = %shared.key, attempts = grant.attempts, fencing = ?grant.fencing, "lock acquired");
    LockGuard::new(LockHandle { shared, manager: inner.clone() })
}

/// The retry policy ran out while the lock stayed held elsewhere.
pub(super) struct Exhausted {
    pub(super) key: LockKey,
    pub(super) attempts: u32,
    pub(super) waited: Duration,
}

/// One acquire call to the backend, owning what it needs so it can outlive the acquire.
type Attempt = Pin<Box<dyn Future<Output = Result<AcquireOutcome, BackendError>> + Send>>;

/// The token an acquire is sending, and whether the store may have granted it.
///
/// If the acquire ends without a guard (cancelled, failed, gave up) while the store may hold
/// the token, dropping this releases it in the background, and only after every attempt of
/// that token still in flight has been answered (or a call timeout has passed): on a transport
/// that can reorder commands (a pool), a release sent earlier could overtake the acquire and
/// leave a lock nobody releases until its ttl.
/// A token whose grant had to be given back (it came too late, or the backend gave it back
/// itself) is never sent again, for the same reason: the give-back could land after a later
/// grant of the same token and delete it.
struct Tokens<'a> {
    inner: &'a ManagerInner,
    store: &'a Arc<DynLockBackend>,
    key: &'a LockKey,
    current: LockToken,
    /// The current token was sent and a grant is not ruled out.
    armed: bool,
    /// An attempt with the current token ended without an answer: it may still be applied
    /// later, so a `Held` answer does not rule out a grant.
    ambiguous: bool,
    /// See [`Plan::release_if_refused`].
    release_if_refused: bool,
    /// Attempts of the current token still in flight: the one being awaited, and any cut off by
    /// the call timeout.
    unanswered: Vec<Attempt>,
    /// See [`Plan::borrowed`].
    borrowed: Option<Arc<GuardShared>>,
}

impl Tokens<'_> {
    /// Sends an attempt with the current token and waits at most `limit` for its answer. The
    /// attempt is kept here while it runs, so that one cut off by the timeout, or by the
    /// acquire's cancellation, stays in flight and is finished before any release (see
    /// [`Tokens`]).
    async fn attempt(
        &mut self,
        ttl: Duration,
        limit: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.armed = true;
        let (backend, key, token) = (self.store.clone(), self.key.clone(), self.current.clone());
        self.unanswered.push(Box::pin(async move { backend.try_acquire(&key, &token, ttl).await }));
        let answer = std::future::poll_fn(|cx| match self.unanswered.last_mut() {
            Some(attempt) => attempt.as_mut().poll(cx),
            None => std::task::Poll::Pending,
        });
        match bounded(limit, answer).await {
            Some(result) => {
                self.unanswered.pop();
                result
            }
            None => Err(timed_out(self.inner.info.name, limit)),
        }
    }

    /// The store answered that someone else holds the key.
    fn refused(&mut self) {
        self.armed = self.ambiguous || self.release_if_refused;
    }

    /// An attempt ended without an answer.
    fn unanswered(&mut self) {
        self.ambiguous = true;
    }

    /// The current token won: the guard owns it from now on.
    fn won(&mut self) -> LockToken {
        self.armed = false;
        self.current.clone()
    }

    /// Whether the current token's hold is this acquire's to release: always, unless the token
    /// is a read's that this request upgrades and the upgrade was not granted (the read keeps
    /// its hold then, and its guard releases it).
    fn owns_the_hold(&self) -> bool {
        self.borrowed.as_ref().is_none_or(|read| read.status().lost == Some(LossReason::Upgraded))
    }

    /// Gives the current token's grant back in the background and switches to a fresh token.
    /// Returns the background release, to wait for while there is time.
    fn give_back(&mut self) -> Result<Option<tokio::task::JoinHandle<()>>> {
        let fresh = LockToken::generate()?;
        let after = finished(std::mem::take(&mut self.unanswered), self.inner.config.call_timeout);
        let release = match self.owns_the_hold() {
            true => self.inner.releaser_in(self.store).spawn_after(after, self.key, &self.current),
            false => None,
        };
        self.current = fresh;
        self.armed = false;
        self.ambiguous = false;
        Ok(release)
    }
}

/// Resolves once every attempt in `in_flight` has completed, or `limit` (the call timeout) has
/// passed: an attempt unanswered by then is presumed lost (its reply, or the command itself).
async fn finished(in_flight: Vec<Attempt>, limit: Duration) {
    if !in_flight.is_empty() {
        let all = futures_util::future::join_all(in_flight);
        let _ = bounded(limit, all).await;
    }
}

impl Drop for Tokens<'_> {
    fn drop(&mut self) {
        if self.armed && self.owns_the_hold() {
            tracing::debug!(key = %self.key, "acquire ended while it may hold the lock; releasing");
            let after =
                finished(std::mem::take(&mut self.unanswered), self.inner.config.call_timeout);
            self.inner.releaser_in(self.store).spawn_after(after, self.key, &self.current);
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
    let result = attempts(inner, plan, started, &calls).instrument(span.clone()).await;
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

async fn attempts(
    inner: &Arc<ManagerInner>,
    plan: Plan,
    started: Instant,
    counted: &AtomicU32,
) -> Result<Result<LockGuard, Exhausted>> {
    let Plan {
        key,
        token,
        ttl,
        validity,
        policy,
        refresh,
        store,
        release_if_refused,
        line,
        borrowed,
        landing,
    } = plan;
    let name = inner.info.name;
    let call_timeout = inner.config.call_timeout;
    let exhausted = |attempts: u32| {
        Ok(Err(Exhausted { key: key.clone(), attempts, waited: started.elapsed() }))
    };
    let mut tokens = Tokens {
        inner,
        store: &store,
        key: &key,
        current: token,
        armed: false,
        ambiguous: false,
        release_if_refused,
        unanswered: Vec::new(),
        borrowed,
    };
    let mut wait = Wait::new(store.clone(), &policy, call_timeout, started, true);
    // Attempts the policy counts, and calls to the store in all (re-checks included).
    let (mut tries, mut calls) = (0u32, 0u32);
    let mut recheck = false;
    // This manager's earlier waiters for the key go first (see `queue`).
    let mut turn: Option<Turn> = None;
    if line.watch_is_the_tokens() {
        wait.watch(&key).await;
    }
    if let Some(lane) = line.lane()
        && policy.may_retry()
        && inner.queues.is_busy(&key, lane)
    {
        match until(wait.deadline(), inner.queues.turn(&key, lane)).await {
            Some(t) => turn = Some(t),
            None => return exhausted(0),
        }
    }
    loop {
        if !recheck {
            tries += 1;
            wait.counted();
        }
        calls += 1;
        counted.store(calls, Ordering::Relaxed);
        let sent = wait.asking();
        let result = tokens.attempt(ttl, call_timeout).await;
        let mut holder_ttl = None;
        let mut held = false;
        let mut last_error: Option<BackendError> = None;
        match result {
            Ok(AcquireOutcome::Acquired { fencing }) if Instant::now() < sent + validity => {
                // Attempts cut earlier are presumed lost a call timeout from now, as before a
                // give-back.
                let cut = (!tokens.unanswered.is_empty())
                    .then(|| (Instant::now() + call_timeout, validity));
                let landing = landing.filter(|(until, _)| sent < *until);
                let late = crate::guard::both(cut, landing);
                let validity = landing.map_or(validity, |(_, w)| validity.min(w));
                let token = tokens.won();
                let grant = Grant { fencing, sent, late, attempts: calls, waited: sent - started };
                let lease = Lease { ttl, validity, refresh, store: store.clone() };
                return Ok(Ok(guard_for(inner, key.clone(), token, grant, &lease)));
            }
            Ok(AcquireOutcome::Acquired { .. }) => {
                // Granted too late to leave any validity: give it back and count a failure.
                tracing::debug!(key = %key, elapsed = ?sent.elapsed(), "lock granted after its validity; giving it back");
                let release = tokens.give_back()?;
                forget_the_tokens_watch(line, &mut wait);
                if let Some(release) = release {
                    // The next look would find our own grant: wait for its release while there is
                    // time (the release goes on in the background either way).
                    let limit = wait.call_limit();
                    let _ = until(Some(limit), release).await;
                }
            }
            Ok(AcquireOutcome::Held { ttl_remaining }) => {
                telemetry::contended(name);
                tokens.refused();
                holder_ttl = ttl_remaining;
                held = true;
            }
            Err(e) if e.kind() == BackendErrorKind::Replication => {
                // The backend granted and gave back a grant its replicas did not confirm.
                tokens.give_back()?;
                forget_the_tokens_watch(line, &mut wait);
                last_error = Some(e);
            }
            Err(e) if e.is_temporary() => {
                tokens.unanswered();
                last_error = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
        let now = Instant::now();
        let out_of_attempts = policy.attempts_limit().is_some_and(|n| tries >= n);
        // (A look after a wake-up does not count as an attempt: it comes during the backoff
        // that followed an attempt below the limit, so only the deadline can end it.)
        if !policy.may_retry() || out_of_attempts || wait.is_over(now) {
            if let Some(e) = last_error {
                return Err(e.into());
            }
            return exhausted(calls);
        }
        if held
            && turn.is_none()
            && let Some(lane) = line.lane()
        {
            // About to wait: behind this manager's other waiters, then one more look.
            match until(wait.deadline(), inner.queues.turn(&key, lane)).await {
                Some(t) => {
                    let waited = t.waited();
                    turn = Some(t);
                    if waited {
                        recheck = true;
                        continue;
                    }
                }
                None => return exhausted(calls),
            }
        }
        if held && !wait.is_watching() && wait.watch(&key).await {
            // Subscribed now; one more look catches a release that came before it.
            recheck = true;
            continue;
        }
        wait.back_off(now, line, policy.delay(tries), held, holder_ttl);
        // Woken by a release (or spuriously), a waiter in a local line watches again before it
        // looks; one watching for its own turn looks at once, and watches again only if the
        // look finds it still waiting. Otherwise the backoff ended (or the wait deadline came
        // first): the next look is a counted attempt, which starts a new backoff.
        let rewatch = (!line.watch_is_the_tokens()).then_some(&key);
        recheck = wait.pause(held, rewatch).await;
    }
}

/// After a switch to a fresh token, a watch for the old token's turn never fires: drop it, so
/// the fresh token's turn is watched once it waits in line.
fn forget_the_tokens_watch(line: Line, wait: &mut Wait) {
    if line.watch_is_the_tokens() {
        wait.forget_watch();
    }
}
