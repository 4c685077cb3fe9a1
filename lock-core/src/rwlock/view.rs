//! A reader-writer lock's holds in one mode seen as locks, so the manager's acquire loop,
//! guards, refresher and releases work on them unchanged.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, LockBackend, LockInfo,
    ReleaseOutcome, ReleaseWatch, RwLockBackend, RwMode,
};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// Holds in `mode` on the reader-writer locks of `backend`.
#[derive(Debug)]
pub(super) struct RwView {
    pub(super) backend: Arc<DynLockBackend>,
    pub(super) mode: RwMode,
}

impl RwView {
    fn rw(&self) -> Result<&dyn RwLockBackend, BackendError> {
        self.backend
            .rw_locks()
            .ok_or_else(|| BackendError::unsupported(self.backend.info().name, "rw_locks"))
    }
}

#[async_trait]
impl LockBackend for RwView {
    fn info(&self) -> BackendInfo {
        self.backend.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.rw()?.try_acquire_rw(key, token, self.mode, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.rw()?.release_rw(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.rw()?.extend_rw(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        // The manager reads a reader-writer lock through `RwLock::holders`, never through this.
        let (mut holders, _) = self.rw()?.inspect_rw(key).await?;
        Ok(holders.pop().map(|h| h.info))
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        let (holders, _) = self.rw()?.inspect_rw(key).await?;
        Ok(holders.iter().any(|h| &h.info.holder == token))
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.rw()?.watch_rw(key).await
    }
}
