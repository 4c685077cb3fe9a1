//! `LockRequest`: per-call options and the ways to acquire.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::LockManager;
use super::acquire::{Exhausted, Plan, acquire};
use super::hold::{Hold, Terms};
use super::queue::Lane;
use super::wait::Line;
use crate::backend::DynLockBackend;
use crate::error::{Error, Result};
use crate::guard::{GuardShared, LockGuard, LockHandle};
use crate::key::LockKey;
use crate::lease::{LeaseSpec, LeaseView};
use crate::metadata::Metadata;
use crate::retry::RetryPolicy;
use crate::token::LockToken;

/// A request for one lock, built by [`LockManager::lock`]. Options default to the manager's;
/// everything is checked when the request runs, before any I/O.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let guard = locks
///     .lock("reports:daily")
///     .ttl(Duration::from_secs(5))
///     .retry(RetryPolicy::fixed(Duration::from_millis(20)).max_attempts(10))
///     .try_acquire()
///     .await?
///     .expect("nobody else holds it");
/// assert!(guard.is_valid());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a lock request does nothing until it is acquired"]
pub struct LockRequest {
    manager: LockManager,
    key: Result<LockKey>,
    /// Ttl, retry, wait, auto-refresh, maximum hold (see `Hold`).
    hold: Hold,
    token: Option<LockToken>,
    /// Where the lease is taken, when not the manager's backend (a semaphore's permits).
    store: Option<Arc<DynLockBackend>>,
    /// See `Plan::release_if_refused`.
    release_if_refused: bool,
    /// Which of the key's local queues a waiter joins.
    lane: Lane,
    /// Stored with the lock (see [`LockRequest::metadata`]).
    metadata: Option<Metadata>,
    /// Waits in the store's queue (see [`LockRequest::fair`]).
    fair: bool,
    /// The read an upgrade comes from (see `Plan::borrowed`).
    borrowed: Option<Arc<GuardShared>>,
    /// A leaked guard's extensions that may still land (see `Plan::landing`).
    landing: Option<(Instant, Duration)>,
}

impl LockRequest {
    pub(crate) fn new(manager: LockManager, key: Result<LockKey>) -> Self {
        Self {
            manager,
            key,
            hold: Hold::default(),
            token: None,
            store: None,
            release_if_refused: false,
            lane: Lane::One,
            metadata: None,
            fair: false,
            borrowed: None,
            landing: None,
        }
    }

    /// With the options `hold` (a lock set's member).
    pub(crate) fn with_hold(mut self, hold: Hold) -> Self {
        self.hold = hold;
        self
    }

    /// Waits in `lane` of the key's local queue (reader-writer locks).
    pub(crate) fn in_lane(mut self, lane: Lane) -> Self {
        self.lane = lane;
        self
    }

    /// An acquire ending without a guard releases its token even after a refusal (a
    /// writer's waiting mark must not outlive the writer's wait).
    pub(crate) fn releasing_if_refused(mut self) -> Self {
        self.release_if_refused = true;
        self
    }

    /// Takes the lease in `store` instead of the manager's backend.
    pub(crate) fn in_store(mut self, store: Arc<DynLockBackend>) -> Self {
        self.store = Some(store);
        self
    }

    /// The lock's ttl (default: the manager's).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.hold.ttl = Some(ttl);
        self
    }

    /// How to retry while the lock is held elsewhere or the store fails temporarily.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.hold.retry = Some(policy);
        self
    }

    /// Waits at most `wait` in all (`Duration::ZERO`: a single attempt); caps the retry policy.
    pub fn wait(mut self, wait: Duration) -> Self {
        self.hold.wait = Some(wait);
        self
    }

    /// Keeps the lock extended in the background until the guard is released or dropped (or
    /// the maximum hold time passes); see [`crate::LockGuard`] and [`crate::Lost`]. Extensions
    /// go out every third (by default) of the validity window (the ttl less the drift
    /// allowance), which must be at least 6 ms: shorter ttls (under about 8 ms with the default
    /// drift) are an [`Error::InvalidArgument`].
    pub fn auto_refresh(mut self) -> Self {
        self.hold.auto_refresh = true;
        self
    }

    /// Stores `metadata` with the lock, atomically with the acquisition; it is refreshed with
    /// the lock, removed with it, and shown by [`LockManager::info`]. Needs a backend with
    /// [`crate::backend::Capabilities::metadata`] (else [`Error::Unsupported`], before any I/O); not for
    /// semaphore permits or reader-writer holds ([`Error::InvalidArgument`]). A hand-over
    /// ([`crate::LockGuard::leak`], [`LockManager::adopt`]) carries the lock, not its metadata:
    /// the adopted lock is extended without it, and the metadata expires at its last ttl.
    ///
    /// ```
    /// use lock_core::{LockManager, MemoryBackend, Metadata};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lock_core::Error> {
    /// let locks = LockManager::new(MemoryBackend::new());
    /// let meta = Metadata::this_process().with("purpose", "reindex")?;
    /// let guard = locks.lock("search:index").metadata(meta).acquire().await?;
    /// let state = locks.info("search:index").await?.expect("held");
    /// assert_eq!(state.metadata.and_then(|m| m.get("purpose").map(str::to_owned)).as_deref(), Some("reindex"));
    /// guard.release().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Waits in line in the store, first come first served across every process, instead of
    /// racing: each waiting request queues its token in the store (its place renewed at least
    /// every third of [`crate::limits::FAIR_QUEUE_TTL`] while it waits, and dropped after it if the
    /// waiter dies), a release hands the lock straight to the first live waiter and wakes only
    /// that one, and the waiter confirms with one more attempt, from whose sending its validity
    /// is measured (a grant made by someone else's release cannot be timed on this clock). A
    /// lock handed to a waiter that died lapses after [`crate::limits::FAIR_QUEUE_TTL`] at most.
    ///
    /// Everything else is as for any lock: fencing, auto-refresh, loss, release on drop and on
    /// cancellation (a waiter that gives up or is cancelled leaves the line). Requests for the
    /// same name that are not fair do not queue: they take the lock whenever they find it free
    /// (rare while anyone waits in line, since a release hands it straight over). Needs a
    /// backend with
    /// [`crate::backend::Capabilities::fair_locks`] (else [`Error::Unsupported`], before any I/O); not with
    /// metadata ([`Error::InvalidArgument`]).
    ///
    /// ```
    /// use lock_core::{LockManager, MemoryBackend};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), lock_core::Error> {
    /// let locks = LockManager::new(MemoryBackend::new());
    /// let guard = locks.lock("payments:settle").fair().acquire().await?;
    /// assert!(guard.is_valid());
    /// guard.release().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn fair(mut self) -> Self {
        self.fair = true;
        self
    }

    /// With auto-refresh, stops extending the lock this long after it was acquired.
    pub fn max_hold(mut self, max: Duration) -> Self {
        self.hold.max_hold = Some(max);
        self
    }

    /// Takes the lock with the token of a [`crate::Handover`] (see
    /// [`crate::LockManager::adopt`]).
    pub(crate) fn with_token(mut self, token: LockToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Takes up a leaked hold whose guard's extensions may still land until `landing`'s instant,
    /// each setting at least its ttl (see [`crate::LockGuard::leak`]).
    pub(crate) fn landing(mut self, landing: Option<(Instant, Duration)>) -> Self {
        self.landing = landing;
        self
    }

    /// Takes the lock with the token of `read`, whose hold this request upgrades: the hold is
    /// the read's until the upgrade is granted, so this request never releases it before.
    pub(crate) fn upgrading(mut self, read: Arc<GuardShared>) -> Self {
        self.token = Some(read.token.clone());
        self.borrowed = Some(read);
        self
    }

    /// Acquires the lock, retrying only if [`LockRequest::retry`] or [`LockRequest::wait`] was
    /// set (otherwise one attempt). `Ok(None)` when the lock stayed held by someone else. (Not
    /// to be confused with the backend primitive [`crate::LockBackend::try_acquire`], always a
    /// single attempt: this is the user's call, with the manager's retry, waiting, validity and
    /// clean-up around it.)
    pub async fn try_acquire(self) -> Result<Option<LockGuard>> {
        match self.start(false).await? {
            Ok(guard) => Ok(Some(guard)),
            Err(Exhausted { .. }) => Ok(None),
        }
    }

    /// Acquires the lock, waiting as the retry policy says (default: the manager's, which gives
    /// up after 60 s; see [`RetryPolicy::wait_forever`]). Errors with [`Error::WaitTimeout`]
    /// when the policy gives up.
    ///
    /// Locks are not reentrant: a task asking for a lock it already holds waits for its own
    /// guard like any other waiter, until the policy gives up (or, with an auto-refreshed guard
    /// and [`RetryPolicy::wait_forever`], forever). Keep the guard and pass its
    /// [`LockHandle`] to the code that needs the lock instead.
    pub async fn acquire(self) -> Result<LockGuard> {
        match self.start(true).await? {
            Ok(guard) => Ok(guard),
            Err(Exhausted { key, attempts, waited }) => {
                Err(Error::WaitTimeout { key, waited, attempts })
            }
        }
    }

    /// Acquires the lock as [`LockRequest::acquire`] does, runs `work` under it, releases it,
    /// and returns what `work` returned.
    ///
    /// If the lock is lost while `work` runs (auto-refresh was refused, or the ttl ran out),
    /// `work`'s future is dropped at once and [`Error::Lost`] returned. `work` can also watch
    /// [`LockHandle::lost`] itself to stop cleanly.
    pub async fn run<F, Fut, T, E>(self, work: F) -> Result<T, E>
    where
        F: FnOnce(LockHandle) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let guard = self.acquire().await?;
        let lost = guard.lost();
        let outcome = tokio::select! {
            biased;
            result = work(guard.handle()) => result,
            reason = lost => Err(Error::Lost { key: guard.key().clone(), reason }.into()),
        };
        let key = guard.key().clone();
        if let Err(e) = guard.release().await {
            tracing::warn!(key = %key, error = %e, "release after the critical section failed; the lock expires at its ttl");
        }
        outcome
    }

    /// The acquire of an `acquire` (`waits`) or a `try_acquire`.
    async fn start(self, waits: bool) -> Result<Result<LockGuard, Exhausted>> {
        let inner = self.manager.inner().clone();
        let key = self.key?;
        let policy = self.hold.policy(&inner, waits)?;
        let Terms { ttl, validity, refresh } = self.hold.terms(&inner)?;
        let token = match self.token {
            Some(token) => token,
            None => LockToken::generate()?,
        };
        let fair = self.fair;
        if fair && (self.store.is_some() || self.metadata.is_some()) {
            return Err(Error::invalid(
                "fair",
                "fair waiting is for plain locks: not with metadata, permits or reader-writer holds",
            ));
        }
        let store: Arc<DynLockBackend> = match (self.store, self.metadata) {
            _ if fair => {
                LeaseView::offered(inner.backend.clone(), LeaseSpec::Fair, Some(token.clone()))?
            }
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "metadata",
                    "only locks carry metadata, not semaphore permits or reader-writer holds",
                ));
            }
            (Some(store), None) => store,
            (None, Some(metadata)) => {
                LeaseView::offered(inner.backend.clone(), LeaseSpec::Metadata(metadata), None)?
            }
            (None, None) => inner.backend.clone(),
        };
        // A fair waiter that ends without the lock leaves the store's queue through a release.
        let release_if_refused = self.release_if_refused || fair;
        let line = if fair { Line::Store } else { Line::Local(self.lane) };
        let plan = Plan {
            key,
            token,
            ttl,
            validity,
            policy,
            refresh,
            store,
            release_if_refused,
            line,
            borrowed: self.borrowed,
            // A ttl too short to leave any validity leaves none.
            landing: self.landing.map(|(until, ttl)| {
                (until, inner.config.drift.validity(ttl).unwrap_or(Duration::ZERO))
            }),
        };
        acquire(&inner, plan).await
    }
}
