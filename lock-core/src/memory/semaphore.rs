//! `MemoryBackend`'s counting semaphores: permits in a list per key, on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;

use super::backend::{Entry, Kind, MemoryBackend, State, expiry};
use crate::backend::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome};
use crate::error::BackendError;
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

impl State {
    /// The live permits of `key`, expired ones dropped.
    pub(super) fn permits(&mut self, key: &LockKey, now: Instant) -> &mut Vec<Entry> {
        let permits = self.semaphores.entry(key.clone()).or_default();
        permits.retain(|e| e.expires > now);
        permits
    }
}

impl MemoryBackend {
    pub(super) async fn try_acquire_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        limit: u32,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let (mut state, now) = self.open(key, Kind::Semaphore)?;
        state.wrote(now);
        let permits = state.permits(key, now);
        if let Some(mine) = permits.iter_mut().find(|e| e.token == *token) {
            mine.expires = expiry(now, ttl);
            return Ok(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(mine.fencing)) });
        }
        if permits.len() >= limit as usize {
            let soonest = permits.iter().map(|e| e.expires - now).min();
            return Ok(AcquireOutcome::Held { ttl_remaining: soonest });
        }
        let fencing = state.issue_fence();
        let entry = Entry { token: token.clone(), expires: expiry(now, ttl), fencing };
        state.permits(key, now).push(entry);
        Ok(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) })
    }

    pub(super) async fn release_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let (mut state, now) = self.open(key, Kind::Semaphore)?;
        let permits = state.permits(key, now);
        let before = permits.len();
        permits.retain(|e| e.token != *token);
        if permits.len() == before {
            return Ok(ReleaseOutcome::NotHeld);
        }
        if permits.is_empty() {
            state.semaphores.remove(key);
        }
        state.wake(key);
        Ok(ReleaseOutcome::Released)
    }

    pub(super) async fn extend_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (mut state, now) = self.open(key, Kind::Semaphore)?;
        match state.permits(key, now).iter_mut().find(|e| e.token == *token) {
            Some(mine) => {
                mine.expires = expiry(now, ttl);
                Ok(ExtendOutcome::Extended)
            }
            None => Ok(ExtendOutcome::NotHeld),
        }
    }

    pub(super) async fn inspect_permits(
        &self,
        key: &LockKey,
    ) -> Result<Vec<LockInfo>, BackendError> {
        let (mut state, now) = self.open(key, Kind::Semaphore)?;
        let held = state.permits(key, now).iter().map(|e| e.info(now)).collect::<Vec<_>>();
        if held.is_empty() {
            state.semaphores.remove(key);
        }
        Ok(held)
    }
}
