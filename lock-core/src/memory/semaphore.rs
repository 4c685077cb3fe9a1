//! `MemoryBackend`'s counting semaphores: permits in a list per key, on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;

use super::backend::{Entry, State, expiry};
use crate::backend::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

impl State {
    /// The live permits of `key`, expired ones dropped.
    fn permits(&mut self, key: &LockKey, now: Instant) -> &mut Vec<Entry> {
        let permits = self.semaphores.entry(key.clone()).or_default();
        permits.retain(|e| e.expires > now);
        permits
    }

    /// Whether `key` has a live permit; expired ones are dropped, and the key with the last.
    pub(super) fn has_permits(&mut self, key: &LockKey, now: Instant) -> bool {
        let Some(permits) = self.semaphores.get_mut(key) else { return false };
        permits.retain(|e| e.expires > now);
        let held = !permits.is_empty();
        if !held {
            self.semaphores.remove(key);
        }
        held
    }

    pub(super) fn acquire_permit(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        limit: u32,
        ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
        self.wrote(now);
        let permits = self.permits(key, now);
        if let Some(mine) = permits.iter_mut().find(|e| e.token == *token) {
            mine.expires = expiry(now, ttl);
            return AcquireOutcome::Acquired { fencing: Some(FencingToken::new(mine.fencing)) };
        }
        if permits.len() >= limit as usize {
            let soonest = permits.iter().map(|e| e.expires - now).min();
            return AcquireOutcome::Held { ttl_remaining: soonest };
        }
        let fencing = self.issue_fence();
        let entry = Entry { token: token.clone(), expires: expiry(now, ttl), fencing };
        self.permits(key, now).push(entry);
        AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) }
    }

    pub(super) fn release_permit(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        now: Instant,
    ) -> ReleaseOutcome {
        let permits = self.permits(key, now);
        let before = permits.len();
        permits.retain(|e| e.token != *token);
        let released = permits.len() < before;
        self.has_permits(key, now); // drops the key with its last permit
        if !released {
            return ReleaseOutcome::NotHeld;
        }
        self.wake(key);
        ReleaseOutcome::Released
    }

    pub(super) fn extend_permit(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        now: Instant,
    ) -> ExtendOutcome {
        if !self.has_permits(key, now) {
            return ExtendOutcome::NotHeld;
        }
        match self.permits(key, now).iter_mut().find(|e| e.token == *token) {
            Some(mine) => {
                mine.expires = expiry(now, ttl);
                ExtendOutcome::Extended
            }
            None => ExtendOutcome::NotHeld,
        }
    }

    pub(super) fn permit_holders(&mut self, key: &LockKey, now: Instant) -> Vec<LockInfo> {
        if !self.has_permits(key, now) {
            return Vec::new();
        }
        self.permits(key, now).iter().map(|e| e.info(now)).collect()
    }
}
