//! A backend wrapper that counts calls, shared by the lock-core tests.
#![allow(dead_code)]

pub(crate) mod hooked;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lock_core::{
    BackendError, LockBackend, LockKey, LockToken, MemoryBackend, backend::AcquireOutcome,
    backend::BackendInfo, backend::ExtendOutcome, backend::LockInfo, backend::ReleaseOutcome,
    backend::ReleaseWatch, backend::async_trait,
};

/// Counts every call of the plain primitives, then forwards it to a `MemoryBackend`. It forwards
/// only those (and `info`, so it reports the memory store's batches, sets and lease kinds while
/// answering `Unsupported` for them, as a careless third-party wrapper would): the tests of such
/// a wrapper rely on it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counting {
    pub(crate) inner: MemoryBackend,
    pub(crate) calls: Arc<Calls>,
    /// How long each `extend` takes to answer (none by default).
    pub(crate) extend_delay: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct Calls {
    pub(crate) acquire: AtomicUsize,
    pub(crate) release: AtomicUsize,
    pub(crate) extend: AtomicUsize,
    pub(crate) inspect: AtomicUsize,
    pub(crate) watch: AtomicUsize,
}

impl Calls {
    pub(crate) fn total(&self) -> usize {
        [&self.acquire, &self.release, &self.extend, &self.inspect, &self.watch]
            .iter()
            .map(|c| c.load(Ordering::SeqCst))
            .sum()
    }

    pub(crate) fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl LockBackend for Counting {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.calls.acquire.fetch_add(1, Ordering::SeqCst);
        self.inner.try_acquire(key, token, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.calls.release.fetch_add(1, Ordering::SeqCst);
        self.inner.release(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.calls.extend.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.extend_delay).await;
        self.inner.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.calls.inspect.fetch_add(1, Ordering::SeqCst);
        self.inner.inspect(key).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.calls.watch.fetch_add(1, Ordering::SeqCst);
        self.inner.watch_release(key).await
    }
}

/// A node that answers slowly or not at all, around a `MemoryBackend`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faulty {
    pub(crate) inner: Counting,
    pub(crate) delay: Arc<std::sync::Mutex<Duration>>,
    pub(crate) down: Arc<std::sync::atomic::AtomicBool>,
    /// Blocks the thread this long inside each acquire: a stall no timeout can cut short.
    pub(crate) stall_ms: Arc<AtomicUsize>,
}

impl Faulty {
    async fn gate(&self) -> Result<(), BackendError> {
        let delay = *self.delay.lock().unwrap_or_else(|e| e.into_inner());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(BackendError::new(
                "faulty",
                lock_core::BackendErrorKind::Connection,
                "node down",
            ));
        }
        Ok(())
    }
}

lock_core::forward_lock_backend!(impl for Faulty => |this| &this.inner, except {
    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.gate().await?;
        let stall = self.stall_ms.load(Ordering::SeqCst);
        if stall > 0 {
            std::thread::sleep(Duration::from_millis(stall as u64));
        }
        self.inner.try_acquire(key, token, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.gate().await?;
        self.inner.release(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.gate().await?;
        self.inner.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.gate().await?;
        self.inner.inspect(key).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.gate().await?;
        self.inner.watch_release(key).await
    }
});
