//! A view of the backend under test that tells a case when a fair request has taken its place
//! in the store's queue, so "one after another" means the store's order, not the scheduler's.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{
    BackendError, DynLockBackend, LockBackend, LockKey, LockToken, backend::AcquireOutcome,
    backend::BackendInfo, backend::ExtendOutcome, backend::Lease, backend::LeaseKind,
    backend::LockInfo, backend::ReleaseOutcome, backend::ReleaseWatch, backend::async_trait,
};
use tokio::sync::watch;

/// Forwards the calls a fair request makes to the backend under test; counts the fair attempts
/// answered `Held`.
#[derive(Debug)]
pub(super) struct QueueProbe {
    inner: Arc<DynLockBackend>,
    queued: watch::Sender<u32>,
}

impl QueueProbe {
    pub(super) fn new(inner: Arc<DynLockBackend>) -> Arc<Self> {
        Arc::new(Self { inner, queued: watch::Sender::new(0) })
    }

    /// Waits until some fair attempt through this view was answered `Held` (the token is in
    /// line), up to `limit`. Returns whether one was.
    pub(super) async fn wait_queued(&self, limit: Duration) -> bool {
        let mut seen = self.queued.subscribe();
        tokio::time::timeout(limit, seen.wait_for(|n| *n > 0)).await.is_ok_and(|r| r.is_ok())
    }
}

#[async_trait]
impl LockBackend for QueueProbe {
    /// The backend's, without what this probe does not forward.
    fn info(&self) -> BackendInfo {
        let info = self.inner.info();
        let caps = info
            .capabilities
            .with_lock_sets(false)
            .with_batch_extend(false)
            .with_guarded_writes(false);
        BackendInfo::new(info.name, caps)
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.inner.try_acquire(key, token, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.inner.release(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.inner.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.inner.inspect(key).await
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        self.inner.holds(key, token).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.inner.watch_release(key).await
    }

    /// Counts the fair attempts answered `Held`.
    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let outcome = self.inner.acquire_lease(key, token, lease, ttl).await?;
        if lease.kind() == LeaseKind::Fair && matches!(outcome, AcquireOutcome::Held { .. }) {
            self.queued.send_modify(|n| *n += 1);
        }
        Ok(outcome)
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.inner.release_lease(key, token, kind).await
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.inner.extend_lease(key, token, kind, ttl).await
    }

    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        self.inner.watch_lease(key, token, kind).await
    }
}
