//! A view of the backend under test that tells a case when a fair request has taken its place
//! in the store's queue, so "one after another" means the store's order, not the scheduler's.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{
    BackendError, DynLockBackend, LockKey, LockToken, backend::AcquireOutcome, backend::Lease,
    backend::LeaseKind,
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

lock_core::forward_lock_backend!(impl for QueueProbe => |this| &this.inner, except {
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

});
