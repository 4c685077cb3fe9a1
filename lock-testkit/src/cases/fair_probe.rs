//! A view of the backend under test that tells a case when a fair request has taken its place
//! in the store's queue, so "one after another" means the store's order, not the scheduler's.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{
    AcquireOutcome, BackendError, BackendInfo, DynLockBackend, ExtendOutcome, FairLockBackend,
    LockBackend, LockInfo, LockKey, LockToken, ReleaseOutcome, ReleaseWatch, async_trait,
};
use tokio::sync::watch;

/// Forwards every call to the backend under test; counts the fair attempts answered `Held`.
#[derive(Debug)]
pub(super) struct QueueProbe {
    inner: Arc<DynLockBackend>,
    queued: watch::Sender<u32>,
}

impl QueueProbe {
    pub(super) fn new(inner: Arc<DynLockBackend>) -> Arc<Self> {
        Arc::new(Self { inner, queued: watch::Sender::new(0) })
    }

    fn fair(&self) -> Result<&dyn FairLockBackend, BackendError> {
        self.inner
            .fair_locks()
            .ok_or_else(|| BackendError::unsupported("queue probe", "fair locks"))
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
    fn info(&self) -> BackendInfo {
        self.inner.info()
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

    fn fair_locks(&self) -> Option<&dyn FairLockBackend> {
        self.inner.fair_locks().map(|_| self as &dyn FairLockBackend)
    }
}

#[async_trait]
impl FairLockBackend for QueueProbe {
    async fn try_acquire_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        queue_ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let outcome = self.fair()?.try_acquire_fair(key, token, ttl, queue_ttl).await?;
        if matches!(outcome, AcquireOutcome::Held { .. }) {
            self.queued.send_modify(|n| *n += 1);
        }
        Ok(outcome)
    }

    async fn release_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.fair()?.release_fair(key, token).await
    }

    async fn watch_turn(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError> {
        self.fair()?.watch_turn(key, token).await
    }
}
