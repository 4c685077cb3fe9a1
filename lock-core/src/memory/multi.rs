//! [`MemoryBackend`]'s atomic multi-key acquire: every key checked, then every key granted,
//! under the one mutex.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::MemoryBackend;
use crate::backend::{AcquireOutcome, MultiAcquireOutcome, MultiLockBackend};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

#[async_trait]
impl MultiLockBackend for MemoryBackend {
    /// Any set: one process, one mutex.
    fn can_acquire_together(&self, _keys: &[LockKey]) -> bool {
        true
    }

    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        for key in keys {
            state.only(key, super::backend::Kind::Lock, now)?;
        }
        for (index, (key, token)) in keys.iter().zip(tokens).enumerate() {
            if let Some(entry) = state.live(key, now)
                && entry.token != *token
            {
                let ttl_remaining = Some(entry.expires - now);
                return Ok(MultiAcquireOutcome::Held { index, ttl_remaining });
            }
        }
        let mut fencing = Vec::with_capacity(keys.len());
        for (key, token) in keys.iter().zip(tokens) {
            match state.acquire(key, token, ttl) {
                AcquireOutcome::Acquired { fencing: fence } => fencing.push(fence),
                other => {
                    // Checked free above, under the same lock.
                    return Err(BackendError::new(
                        "memory",
                        crate::error::BackendErrorKind::Protocol,
                        format!("a key checked free was refused: {other:?}"),
                    ));
                }
            }
        }
        Ok(MultiAcquireOutcome::Acquired { fencing })
    }
}
