//! [`super::MemoryBackend`]'s metadata: a map beside the locks, written, read and dropped under
//! the same mutex; it counts only while the lock it was stored with lives (so extending or
//! releasing the lock is all a metadata lease's extend and release do).

use std::time::Duration;

use tokio::time::Instant;

use super::backend::State;
use crate::backend::AcquireOutcome;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

impl State {
    pub(super) fn acquire_with_metadata(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
        now: Instant,
    ) -> AcquireOutcome {
        let outcome = self.acquire(key, token, ttl, now);
        if matches!(outcome, AcquireOutcome::Acquired { .. }) {
            self.metadata.insert(key.clone(), (token.clone(), metadata.clone()));
        }
        outcome
    }

    /// M5: the live holder's metadata, never an earlier holder's.
    pub(super) fn holder_metadata(
        &mut self,
        key: &LockKey,
        now: Instant,
    ) -> Option<(LockToken, Metadata)> {
        let holder = self.live(key, now)?.token.clone();
        self.metadata.get(key).filter(|(token, _)| *token == holder).cloned()
    }
}
