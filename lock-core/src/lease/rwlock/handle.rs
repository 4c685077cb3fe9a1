//! `RwLock`: a reader-writer lock of one name, from [`crate::LockManager::rw_lock`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::upgrade::Upgrade;
use crate::backend::{DynLockBackend, LeaseKind, RwMode};
use crate::call_timeout::within;
use crate::error::{BackendError, BackendErrorKind, Error, Result};
use crate::guard::{LockGuard, LockHandle};
use crate::holder::LockState;
use crate::key::LockKey;
use crate::lease::{LeaseSpec, LeaseView};
use crate::manager::{Lane, LockManager, LockRequest};

/// A reader-writer lock: many readers or one writer, writer-preferring, each holder with its
/// own lease. Get one with [`LockManager::rw_lock`].
///
/// Each hold is taken with a [`LockRequest`] and held through a [`LockGuard`], so everything a
/// lock offers applies to it: `try_acquire` or waiting with a retry policy and deadline (woken
/// when a hold ends), fair waiting within the manager, a validity deadline, auto-refresh, loss,
/// release on drop and on cancellation, `run` returning the work's value, and a fencing token.
///
/// - **Writer-preferring**: a writer waiting for readers to leave stops new readers, so
///   writers do not starve (see [`crate::backend::Lease::Rw`]). A writer that gives up takes its
///   waiting mark with it.
/// - **Fences**: every grant, read or write, gets a fence above every earlier grant's, so a
///   write's fence is above every earlier read and write, and a read's above every earlier
///   write. A resource that records the highest write fence it applied can refuse a reader
///   whose fence is below it: that reader's lock was gone before the write.
/// - **Upgradeable reads**: one holder at a time may read with the right to upgrade
///   ([`RwLock::upgradeable_read`]); plain readers share the lock with it, other writers wait,
///   and [`RwLock::upgrade`] turns it into a write once the plain readers are gone, with no
///   other writer in between. The upgrade consumes the read guard, as parking_lot's does: the
///   write guard holds the one hold from then on; a refused upgrade gives the read back. A
///   plain reader asking to write is an ordinary writer (two of them would each wait for the
///   other): upgrade from an upgradeable read.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let config = locks.rw_lock("config")?;
/// let ttl = Duration::from_secs(10);
/// let r1 = config.read().ttl(ttl).try_acquire().await?.expect("free");
/// let r2 = config.read().ttl(ttl).try_acquire().await?.expect("readers share");
/// assert!(config.write().ttl(ttl).try_acquire().await?.is_none(), "readers hold it");
/// drop((r1, r2));
/// let w = config.write().ttl(ttl).wait(Duration::from_secs(5)).acquire().await?;
/// assert!(config.read().ttl(ttl).try_acquire().await?.is_none(), "a writer holds it");
/// w.release().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RwLock {
    manager: LockManager,
    key: LockKey,
    read: Arc<DynLockBackend>,
    upgradeable: Arc<DynLockBackend>,
    write: Arc<DynLockBackend>,
}

impl RwLock {
    pub(crate) fn new(manager: LockManager, name: &[u8]) -> Result<Self> {
        let key = manager.key(name)?;
        let [read, upgradeable, write] = manager.inner().rw_views(|| {
            let view = |mode| -> Result<Arc<DynLockBackend>> {
                Ok(LeaseView::offered(manager.backend().clone(), LeaseSpec::Rw(mode), None)?)
            };
            Ok([view(RwMode::Read)?, view(RwMode::UpgradeableRead)?, view(RwMode::Write)?])
        })?;
        Ok(Self { manager, key, read, upgradeable, write })
    }

    /// The lock's key in the store.
    pub fn key(&self) -> &LockKey {
        &self.key
    }

    fn request(&self, store: &Arc<DynLockBackend>) -> LockRequest {
        LockRequest::new(self.manager.clone(), Ok(self.key.clone())).in_store(store.clone())
    }

    /// A request to read: shared with other readers, refused while a writer holds the lock or
    /// waits for it.
    pub fn read(&self) -> LockRequest {
        self.request(&self.read).in_lane(Lane::Read)
    }

    /// A request to read with the right to upgrade to a write later ([`RwLock::upgrade`]):
    /// shared with plain readers, one upgradeable reader at a time.
    pub fn upgradeable_read(&self) -> LockRequest {
        self.request(&self.upgradeable).in_lane(Lane::Upgradeable)
    }

    /// A request to write: exclusive. While it waits for readers to leave, new readers are
    /// refused.
    pub fn write(&self) -> LockRequest {
        self.request(&self.write).releasing_if_refused().in_lane(Lane::Write)
    }

    /// A request to turn `read`, an upgradeable read of this lock, into a write: granted once
    /// the plain readers are gone, with a new (higher) fencing token; no other writer gets in
    /// before it. The upgrade consumes the read (one hold, one deadline: the write guard's; the
    /// read's handles see [`crate::LossReason::Upgraded`]); one that is refused, times out or
    /// fails gives the read back intact in its [`crate::UpgradeError`], and takes its waiting mark
    /// away so readers get in again at once.
    ///
    /// A guard that is not an upgradeable read of this lock (a plain read, another lock's
    /// guard) comes back at once with [`Error::InvalidArgument`].
    pub fn upgrade(&self, read: LockGuard) -> Upgrade {
        let request = self.request(&self.write).in_lane(Lane::Upgrade);
        let ours = read.key() == &self.key && Arc::ptr_eq(&read.shared.store, &self.upgradeable);
        let invalid = (!ours).then(|| {
            Error::invalid("upgrade", "only an upgradeable read of this lock can be upgraded")
        });
        Upgrade::new(request, read, (self.upgradeable.clone(), self.write.clone()), invalid)
    }

    /// Runs `work` under a read hold (waiting as the manager's retry policy says), then
    /// releases it and returns the work's value.
    pub async fn with_read<F, Fut, T, E>(&self, ttl: Duration, work: F) -> Result<T, E>
    where
        F: FnOnce(LockHandle) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.read().ttl(ttl).run(work).await
    }

    /// Runs `work` under a write hold, then releases it and returns the work's value.
    pub async fn with_write<F, Fut, T, E>(&self, ttl: Duration, work: F) -> Result<T, E>
    where
        F: FnOnce(LockHandle) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.write().ttl(ttl).run(work).await
    }

    /// Who holds the lock right now and how (identities, never tokens), and whether a writer
    /// is waiting.
    pub async fn holders(&self) -> Result<(Vec<(RwMode, LockState)>, bool)> {
        let backend = self.manager.backend();
        let name = backend.info().name;
        let timeout = self.manager.inner().config.call_timeout;
        let held = within(name, timeout, backend.inspect_lease(&self.key, LeaseKind::Rw)).await?;
        let mut holders = Vec::with_capacity(held.holders.len());
        for h in &held.holders {
            // RWI1: every reader-writer holder carries its mode.
            let Some(mode) = h.mode else {
                let why = "a reader-writer holder without a mode (RWI1)";
                return Err(BackendError::new(name, BackendErrorKind::Protocol, why).into());
            };
            holders.push((mode, LockState::of(&h.info)));
        }
        Ok((holders, held.writer_waiting))
    }
}

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").field("key", &self.key).finish()
    }
}
