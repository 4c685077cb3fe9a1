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
        let now = Instant::now();
        let mut state = self.state();
        state.only(key, Kind::Semaphore, now)?;
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
        let now = Instant::now();
        let mut state = self.state();
        state.only(key, Kind::Semaphore, Instant::now())?;
        let permits = state.permits(key, now);
        let before = permits.len();
        permits.retain(|e| e.token != *token);
        if permits.len() == before {
            return Ok(ReleaseOutcome::NotHeld);
        }
        if permits.is_empty() {
            state.semaphores.remove(key);
        }
        if let Some(watchers) = state.watchers.remove(key) {
            watchers.notify_waiters();
        }
        Ok(ReleaseOutcome::Released)
    }

    pub(super) async fn extend_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        state.only(key, Kind::Semaphore, Instant::now())?;
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
        let now = Instant::now();
        let mut state = self.state();
        state.only(key, Kind::Semaphore, Instant::now())?;
        let held = state.permits(key, now).iter().map(|e| LockInfo {
            holder: e.token.clone(),
            ttl_remaining: Some(e.expires - now),
            fencing: Some(FencingToken::new(e.fencing)),
        });
        let held = held.collect::<Vec<_>>();
        if held.is_empty() {
            state.semaphores.remove(key);
        }
        Ok(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::backend::wall_clock_micros;

    /// A permit's fence is one above the last even when the clock is behind it.
    #[tokio::test]
    async fn fences_rise_when_the_clock_is_behind() {
        let backend = MemoryBackend::new();
        let ahead = wall_clock_micros() + 3_600_000_000;
        backend.state().fencing = ahead;
        let key = LockKey::with_default_prefix("sem").expect("valid");
        let token = LockToken::generate().expect("entropy");
        let outcome = backend.try_acquire_permit(&key, &token, 1, Duration::from_secs(1));
        assert_eq!(
            outcome.await.ok(),
            Some(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(ahead + 1)) })
        );
    }
}
