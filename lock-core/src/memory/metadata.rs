//! [`MemoryBackend`]'s metadata: a map beside the locks, written, read and dropped under the
//! same mutex; it counts only while the lock it was stored with lives (so extending or
//! releasing the lock is all a metadata lease's extend and release do).

use std::time::Duration;

use super::MemoryBackend;
use crate::backend::AcquireOutcome;
use crate::error::BackendError;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

impl MemoryBackend {
    pub(super) async fn try_acquire_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
    ) -> Result<AcquireOutcome, BackendError> {
        let (mut state, now) = self.open(key, super::backend::Kind::Lock)?;
        let outcome = state.acquire(key, token, ttl, now);
        if matches!(outcome, AcquireOutcome::Acquired { .. }) {
            state.metadata.insert(key.clone(), (token.clone(), metadata.clone()));
        }
        Ok(outcome)
    }

    /// M5: the live holder's metadata, never an earlier holder's.
    pub(super) async fn stored_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let (mut state, now) = self.open(key, super::backend::Kind::Lock)?;
        let Some(holder) = state.live(key, now).map(|e| e.token.clone()) else {
            return Ok(None);
        };
        Ok(state.metadata.get(key).filter(|(token, _)| *token == holder).cloned())
    }
}
