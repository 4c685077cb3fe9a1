//! [`MemoryBackend`]'s atomic multi-key acquire: every key checked, then every key granted,
//! under the one mutex.

use std::time::Duration;

use tokio::time::Instant;

use super::MemoryBackend;
use crate::backend::{AcquireOutcome, MultiAcquireOutcome};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

impl MemoryBackend {
    /// MA1 to MA3 (any set: one process, one mutex).
    pub(super) fn take_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        // Key by key, as Redis's script reads them: a key holding another kind is an error
        // only when no earlier key was found held.
        for (index, (key, token)) in keys.iter().zip(tokens).enumerate() {
            state.only(key, super::backend::Kind::Lock, now)?;
            if let Some(entry) = state.live(key, now)
                && entry.token != *token
            {
                let ttl_remaining = Some(entry.expires - now);
                return Ok(MultiAcquireOutcome::Held { index, ttl_remaining });
            }
        }
        let mut fencing = Vec::with_capacity(keys.len());
        for (key, token) in keys.iter().zip(tokens) {
            match state.acquire(key, token, ttl, now) {
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
