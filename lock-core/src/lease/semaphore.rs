//! `Semaphore`: a counting semaphore of one name, from [`crate::LockManager::semaphore`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{LeaseSpec, LeaseView};
use crate::backend::{DynLockBackend, LeaseKind};
use crate::call_timeout::within;
use crate::error::{Error, Result};
use crate::guard::{LockGuard, LockHandle};
use crate::holder::LockState;
use crate::key::LockKey;
use crate::manager::{LockManager, LockRequest};

/// A counting semaphore: at most `limit` holders of one name at once, each with its own permit
/// and its own lease. Get one with [`LockManager::semaphore`].
///
/// A permit is held through a [`LockGuard`] and taken with a [`LockRequest`], so everything
/// a lock offers applies to each permit on its own: `try_acquire` or waiting with a retry
/// policy and deadline (woken when a permit is released), fair waiting within the manager, a
/// validity deadline, auto-refresh through the manager's refresher, `lost()`, release on drop
/// and on cancellation, `run` returning the work's value, and a fencing token, strictly
/// increasing per semaphore across every permit. A permit that expires frees its slot by
/// itself, on the store's clock.
///
/// The limit is each caller's: an acquire succeeds when fewer permits than *its* limit are
/// held, so callers that disagree each enforce their own, and there are never more holders
/// than the largest limit in use. A name holds a lock or a semaphore, never both. A permit's
/// guard cannot be handed over ([`LockGuard::leak`] keeps it until its ttl; do not pass its
/// `Handover` to [`LockManager::adopt`]).
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let pool = locks.semaphore("db-connections", 2)?;
/// let a = pool.try_acquire(Duration::from_secs(10)).await?.expect("a permit");
/// let b = pool.try_acquire(Duration::from_secs(10)).await?.expect("another");
/// assert!(pool.try_acquire(Duration::from_secs(10)).await?.is_none(), "two are taken");
/// assert!(b.fencing_token() > a.fencing_token());
/// assert_eq!(pool.holders().await?.len(), 2);
/// a.release().await?;
/// let c = pool.permit().ttl(Duration::from_secs(10)).auto_refresh().acquire().await?;
/// # drop((b, c));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Semaphore {
    manager: LockManager,
    key: LockKey,
    limit: u32,
    view: Arc<DynLockBackend>,
}

impl Semaphore {
    pub(crate) fn new(manager: LockManager, name: &[u8], limit: u32) -> Result<Self> {
        if limit == 0 {
            return Err(Error::invalid("limit", "a semaphore needs at least one permit"));
        }
        let key = manager.key(name)?;
        let view =
            LeaseView::offered(manager.backend().clone(), LeaseSpec::Permit { limit }, None)?;
        Ok(Self { manager, key, limit, view })
    }

    /// How many permits this handle allows.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The semaphore's key in the store.
    pub fn key(&self) -> &LockKey {
        &self.key
    }

    /// Starts a request for one permit; set options on it (ttl, retry, wait, auto-refresh,
    /// maximum hold), then call [`LockRequest::try_acquire`], [`LockRequest::acquire`] or
    /// [`LockRequest::run`].
    pub fn permit(&self) -> LockRequest {
        LockRequest::new(self.manager.clone(), Ok(self.key.clone())).in_store(self.view.clone())
    }

    /// One attempt at a permit for `ttl`: `Ok(None)` when all are held.
    pub async fn try_acquire(&self, ttl: Duration) -> Result<Option<LockGuard>> {
        self.permit().ttl(ttl).try_acquire().await
    }

    /// Runs `work` while holding a permit (waiting for one as the manager's retry policy says),
    /// then releases it and returns the work's value; see [`LockManager::with_lock`].
    pub async fn with_permit<F, Fut, T, E>(&self, ttl: Duration, work: F) -> Result<T, E>
    where
        F: FnOnce(LockHandle) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.permit().ttl(ttl).run(work).await
    }

    /// The permits held right now, by anyone: each holder's identity (never its token), the
    /// time its permit has left, and its fencing token; in no particular order.
    pub async fn holders(&self) -> Result<Vec<LockState>> {
        let backend = self.manager.backend();
        let name = backend.info().name;
        let timeout = self.manager.inner().config.call_timeout;
        let held =
            within(name, timeout, backend.inspect_lease(&self.key, LeaseKind::Permit)).await?;
        Ok(held.holders.iter().map(|h| LockState::of(&h.info)).collect())
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("key", &self.key).field("limit", &self.limit).finish()
    }
}
