//! `LockManager`: take, inspect and release locks.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::inner::ManagerInner;
use super::{LockManagerBuilder, LockRequest};
use crate::backend::{BackendInfo, DynLockBackend, LockBackend, ReleaseOutcome};
use crate::call_timeout::within;
use crate::error::{Error, Result};
use crate::guard::{Handover, LockGuard, LockHandle, check_data_name, writes_of};
use crate::holder::LockState;
use crate::key::LockKey;
use crate::lease::{RwLock, Semaphore};
use crate::multi::MultiLockRequest;

/// Takes and inspects locks over one backend. Cheap to clone (an `Arc`), `Send + Sync`: make
/// one per backend and share it across tasks.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
///
/// // One try: `None` when someone else holds it.
/// if let Some(guard) = locks.try_lock("invoice:7", Duration::from_secs(10)).await? {
///     assert!(locks.is_locked("invoice:7").await?);
///     guard.release().await?;
/// }
///
/// // Wait up to 2 s, keep it refreshed while the work runs, get the work's value back.
/// let total = locks
///     .lock("invoice:7")
///     .wait(Duration::from_secs(2))
///     .auto_refresh()
///     .run(|lock| async move {
///         let _fence = lock.fencing_token(); // pass it to the store you write to
///         Ok::<_, lock_core::Error>(42)
///     })
///     .await?;
/// assert_eq!(total, 42);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct LockManager {
    inner: Arc<ManagerInner>,
}

impl LockManager {
    /// A manager with default settings (prefix `lock:`, ttl 30 s, drift 1 % + 2 ms, refresh
    /// every third of the validity window, exponential backoff, a 5 s bound on every backend
    /// call).
    pub fn new<B: LockBackend>(backend: B) -> Self {
        Self::from_shared(Arc::new(backend))
    }

    /// [`LockManager::new`] for a backend that is already shared.
    pub fn from_shared(backend: Arc<DynLockBackend>) -> Self {
        LockManagerBuilder::new(backend).build_defaults()
    }

    /// A builder for non-default settings.
    pub fn builder<B: LockBackend>(backend: B) -> LockManagerBuilder {
        LockManagerBuilder::new(Arc::new(backend))
    }

    /// [`LockManager::builder`] for a backend that is already shared.
    pub fn builder_shared(backend: Arc<DynLockBackend>) -> LockManagerBuilder {
        LockManagerBuilder::new(backend)
    }

    pub(crate) fn from_inner(inner: Arc<ManagerInner>) -> Self {
        Self { inner }
    }

    pub(crate) fn inner(&self) -> &Arc<ManagerInner> {
        &self.inner
    }

    /// Starts a request for the lock `name`; set options on it, then call
    /// [`LockRequest::try_acquire`], [`LockRequest::acquire`] or [`LockRequest::run`].
    pub fn lock(&self, name: impl AsRef<[u8]>) -> LockRequest {
        LockRequest::new(self.clone(), self.inner.key(name.as_ref()))
    }

    /// A request for every lock of `names`, all or nothing, under one guard (see
    /// [`MultiLockRequest`]). Duplicate names count once; an empty set or a bad name is an
    /// [`Error::InvalidArgument`] when the request runs, before any I/O.
    pub fn lock_all<I, N>(&self, names: I) -> MultiLockRequest
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let keys = names.into_iter().map(|n| self.inner.key(n.as_ref())).collect();
        MultiLockRequest::new(self.clone(), keys)
    }

    /// A request for the lock at `key`, used as it is (prefix included).
    pub(crate) fn lock_key(&self, key: LockKey) -> LockRequest {
        LockRequest::new(self.clone(), Ok(key))
    }

    /// One attempt at the lock `name` for `ttl`: `Ok(None)` when someone else holds it.
    pub async fn try_lock(
        &self,
        name: impl AsRef<[u8]>,
        ttl: Duration,
    ) -> Result<Option<LockGuard>> {
        self.lock(name).ttl(ttl).try_acquire().await
    }

    /// Runs `work` while holding the lock `name` (waiting for it as the manager's retry
    /// policy says), then releases it and returns the work's value.
    ///
    /// `work` gets a [`LockHandle`]. If the lock is lost before `work` finishes (its ttl ran
    /// out), `work` is dropped and [`Error::Lost`] returned; for long work use
    /// `lock(name).auto_refresh().run(work)`. Errors of `work` pass through unchanged.
    pub async fn with_lock<F, Fut, T, E>(
        &self,
        name: impl AsRef<[u8]>,
        ttl: Duration,
        work: F,
    ) -> Result<T, E>
    where
        F: FnOnce(LockHandle) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.lock(name).ttl(ttl).run(work).await
    }

    /// The counting semaphore `name` with `limit` permits (see [`Semaphore`]). Errors before any
    /// I/O: [`Error::InvalidArgument`] for a limit of 0 or a bad name, and
    /// [`Error::Unsupported`] when the backend offers no semaphores
    /// ([`crate::backend::Capabilities::permits`]; a [`crate::Quorum`] does not).
    pub fn semaphore(&self, name: impl AsRef<[u8]>, limit: u32) -> Result<Semaphore> {
        Semaphore::new(self.clone(), name.as_ref(), limit)
    }

    /// The reader-writer lock `name` (see [`RwLock`]). Errors before any I/O:
    /// [`Error::InvalidArgument`] for a bad name, and [`Error::Unsupported`] when the backend
    /// offers no reader-writer locks ([`crate::backend::Capabilities::rw_locks`]).
    pub fn rw_lock(&self, name: impl AsRef<[u8]>) -> Result<RwLock> {
        RwLock::new(self.clone(), name.as_ref())
    }

    /// Whether anyone (this process or another) holds the lock `name` right now.
    pub async fn is_locked(&self, name: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self.info(name).await?.is_some())
    }

    /// The current holder of `name` (its [`crate::HolderId`], never its token), its remaining
    /// ttl, fencing token and metadata, or `None` when free. With a backend that offers
    /// metadata, the lock and its metadata are read concurrently (two calls).
    pub async fn info(&self, name: impl AsRef<[u8]>) -> Result<Option<LockState>> {
        let key = self.inner.key(name.as_ref())?;
        let inner = &self.inner;
        let limit = inner.config.call_timeout;
        let info = within(inner.info.name, limit, inner.backend.inspect(&key));
        if !inner.info.capabilities.metadata {
            return Ok(info.await?.as_ref().map(LockState::of));
        }
        let stored = within(inner.info.name, limit, inner.backend.inspect_metadata(&key));
        let (info, stored) = futures_util::future::join(info, stored).await;
        let Some(info) = info? else { return Ok(None) };
        let mut state = LockState::of(&info);
        // Shown only when it is the same holder's (the two reads are not one step). A wrapper
        // that reports its inner store's capabilities without forwarding the metadata call
        // answers `Unsupported`: the lock is shown without metadata.
        let stored = match stored {
            Err(e) if e.kind() == crate::BackendErrorKind::Unsupported => None,
            other => other?,
        };
        state.metadata = stored.filter(|(token, _)| *token == info.holder).map(|(_, m)| m);
        Ok(Some(state))
    }

    /// A request that takes up a leaked lock with its token: on success the new guard has the
    /// same fencing token (the store sees the same holder re-acquire, and resets the ttl to the
    /// request's). If the lock ran out meanwhile and is free, it is acquired afresh with that
    /// token (and a new fencing token); if someone else took it, the request waits or gives up
    /// as its retry policy says. Set ttl, auto-refresh and retry on the request as for
    /// [`LockManager::lock`]. The handover's key is used as it is, prefix included. A leaked
    /// permit, reader-writer hold, fair lock or lock with metadata is taken up as what it was
    /// (a permit of its semaphore, a hold in its mode; a fair lock's release hands over).
    pub fn adopt(&self, handover: Handover) -> LockRequest {
        let hold = handover.into_hold();
        let request = LockRequest::new(self.clone(), Ok(hold.key))
            .with_token(hold.token)
            .landing(hold.landing);
        match hold.store {
            Some(store) => request.in_store(store),
            None => request,
        }
    }

    /// Releases a leaked lock (or permit, reader-writer hold, fair lock: as what it is) if its
    /// token still holds it. Never touches another holder's lock.
    pub async fn release_handover(&self, handover: Handover) -> Result<ReleaseOutcome> {
        let hold = handover.into_hold();
        match hold.store {
            Some(store) => {
                Ok(self.inner.releaser_in(&store).release(&hold.key, &hold.token).await?)
            }
            None => self.inner.release(&hold.key, &hold.token).await,
        }
    }

    /// The data key called `data` that belongs to the lock `name` (see
    /// [`crate::LockHandle::data_key`]), for reading it without holding the lock.
    pub fn data_key(&self, name: impl AsRef<[u8]>, data: &str) -> Result<Vec<u8>> {
        let key = self.inner.key(name.as_ref())?;
        check_data_name(data)?;
        Ok(writes_of(self.inner.backend.as_ref(), self.inner.info.name)?.data_key(&key, data))
    }

    /// The value of a data key written by [`crate::LockHandle::write`], `None` when never
    /// written. Needs no lock. Errors with [`Error::Unsupported`] when the backend offers no
    /// guarded writes.
    pub async fn read_data(&self, data_key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        let inner = &self.inner;
        let writes = writes_of(inner.backend.as_ref(), inner.info.name)?;
        let read = writes.read_data(data_key.as_ref());
        Ok(within(inner.info.name, inner.config.call_timeout, read).await?)
    }

    /// The full key `name` is stored under.
    pub fn key(&self, name: impl AsRef<[u8]>) -> Result<LockKey> {
        self.inner.key(name.as_ref())
    }

    /// The backend, for reading what it stores (`inspect` shows the holder's token, which
    /// [`LockManager::info`] hides) and for tools. Calls made on it directly bypass the manager:
    /// no call timeout, no ordering of a token's calls, no guard; use the manager to lock.
    pub fn backend(&self) -> &Arc<DynLockBackend> {
        &self.inner.backend
    }

    /// The backend's name and capabilities.
    pub fn backend_info(&self) -> BackendInfo {
        self.inner.info
    }
}
