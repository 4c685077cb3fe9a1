//! [`MemoryBackend`]'s metadata: a map beside the locks, written, read and dropped under the
//! same mutex; it counts only while the lock it was stored with lives.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::MemoryBackend;
use crate::backend::{AcquireOutcome, ExtendOutcome, LockBackend, MetadataBackend, ReleaseOutcome};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

#[async_trait]
impl MetadataBackend for MemoryBackend {
    async fn try_acquire_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
    ) -> Result<AcquireOutcome, BackendError> {
        let mut state = self.state();
        state.only(key, super::backend::Kind::Lock, tokio::time::Instant::now())?;
        let outcome = state.acquire(key, token, ttl);
        if matches!(outcome, AcquireOutcome::Acquired { .. }) {
            state.metadata.insert(key.clone(), (token.clone(), metadata.clone()));
        }
        Ok(outcome)
    }

    /// The metadata lives while the lock it was stored with does: extending the lock is enough.
    async fn extend_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.extend(key, token, ttl).await
    }

    async fn release_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        Ok(self.state().release(key, token))
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let mut state = self.state();
        let Some(holder) = state.live(key, Instant::now()).map(|e| e.token.clone()) else {
            return Ok(None);
        };
        Ok(state.metadata.get(key).filter(|(token, _)| *token == holder).cloned())
    }
}
