//! A lock with metadata seen as a plain lock, so the manager's acquire loop, guards, refresher
//! and releases work on it unchanged.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, GuardedWriteBackend, LockBackend,
    LockInfo, MetadataBackend, ReleaseOutcome, ReleaseWatch,
};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

/// The locks of `backend`, each acquired with `metadata`.
#[derive(Debug)]
pub(crate) struct MetadataView {
    pub(crate) backend: Arc<DynLockBackend>,
    pub(crate) metadata: Metadata,
}

impl MetadataView {
    fn with_metadata(&self) -> Result<&dyn MetadataBackend, BackendError> {
        self.backend
            .metadata()
            .ok_or_else(|| BackendError::unsupported(self.backend.info().name, "lock metadata"))
    }
}

#[async_trait]
impl LockBackend for MetadataView {
    fn info(&self) -> BackendInfo {
        self.backend.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.with_metadata()?.try_acquire_with_metadata(key, token, ttl, &self.metadata).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.with_metadata()?.release_with_metadata(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.with_metadata()?.extend_with_metadata(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.backend.inspect(key).await
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        self.backend.holds(key, token).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.backend.watch_release(key).await
    }

    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        self.backend.guarded_writes()
    }
}
