//! A semaphore's permits seen as locks, so the manager's acquire loop, guards, refresher and
//! releases work on them unchanged.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, LockBackend, LockInfo,
    ReleaseOutcome, ReleaseWatch, SemaphoreBackend,
};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// The permits of semaphores of `limit` in `backend`: acquiring a "lock" takes a permit.
#[derive(Debug)]
pub(super) struct PermitView {
    pub(super) backend: Arc<DynLockBackend>,
    pub(super) limit: u32,
}

impl PermitView {
    fn permits(&self) -> Result<&dyn SemaphoreBackend, BackendError> {
        self.backend
            .semaphores()
            .ok_or_else(|| BackendError::unsupported(self.backend.info().name, "semaphores"))
    }
}

#[async_trait]
impl LockBackend for PermitView {
    fn info(&self) -> BackendInfo {
        self.backend.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.permits()?.try_acquire_permit(key, token, self.limit, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.permits()?.release_permit(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.permits()?.extend_permit(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        // The manager reads a semaphore through `Semaphore::holders`, never through this.
        let mut permits = self.permits()?.inspect_permits(key).await?;
        Ok(permits.pop())
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        let permits = self.permits()?.inspect_permits(key).await?;
        Ok(permits.iter().any(|p| &p.holder == token))
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.permits()?.watch_permits(key).await
    }
}
