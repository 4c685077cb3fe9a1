//! `MemoryBackend`'s counting semaphores: a name's live permits, on tokio's clock.
//!
//! Every step runs after `State::only` checked the name with the same `now`: its expired
//! permits are gone, and so is the name with its last permit.

use std::time::Duration;

use tokio::time::Instant;

use super::backend::{Entry, Held, State, expiry};
use crate::backend::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

impl State {
    /// `key`'s permits, if it holds any.
    fn permits(&mut self, key: &LockKey) -> Option<&mut Vec<Entry>> {
        match self.names.get_mut(key) {
            Some(Held::Permits(permits)) => Some(permits),
            _ => None,
        }
    }

    /// `token`'s permit at `key`, if it holds one.
    fn permit(&mut self, key: &LockKey, token: &LockToken) -> Option<&mut Entry> {
        self.permits(key)?.iter_mut().find(|e| e.token == *token)
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
        if let Some(mine) = self.permit(key, token) {
            mine.expires = expiry(now, ttl);
            return AcquireOutcome::Acquired { fencing: Some(FencingToken::new(mine.fencing)) };
        }
        let taken = self.permits(key).map_or(&[][..], |p| p.as_slice());
        if taken.len() >= limit as usize {
            let soonest = taken.iter().map(|e| e.expires - now).min();
            return AcquireOutcome::Held { ttl_remaining: soonest };
        }
        let fencing = self.issue_fence();
        let entry = Entry { token: token.clone(), expires: expiry(now, ttl), fencing };
        match self.permits(key) {
            Some(permits) => permits.push(entry),
            None => {
                self.names.insert(key.clone(), Held::Permits(vec![entry]));
            }
        }
        AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) }
    }

    pub(super) fn release_permit(&mut self, key: &LockKey, token: &LockToken) -> ReleaseOutcome {
        let Some(permits) = self.permits(key) else { return ReleaseOutcome::NotHeld };
        let before = permits.len();
        permits.retain(|e| e.token != *token);
        if permits.len() == before {
            return ReleaseOutcome::NotHeld;
        }
        if permits.is_empty() {
            self.names.remove(key);
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
        match self.permit(key, token) {
            Some(mine) => {
                mine.expires = expiry(now, ttl);
                ExtendOutcome::Extended
            }
            None => ExtendOutcome::NotHeld,
        }
    }

    pub(super) fn permit_holders(&mut self, key: &LockKey, now: Instant) -> Vec<LockInfo> {
        self.permits(key).map_or_else(Vec::new, |p| p.iter().map(|e| e.info(now)).collect())
    }
}
