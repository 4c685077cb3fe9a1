//! `MemoryBackend`'s reader-writer locks: holds in a list per key, on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;

use super::backend::{Entry, State, expiry};
use crate::backend::{
    AcquireOutcome, ExtendOutcome, LeaseHolder, LeaseHolders, ReleaseOutcome, RwMode,
};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

/// One reader-writer lock: its holds and the waiting writer's mark.
#[derive(Debug, Default)]
pub(crate) struct RwState {
    holds: Vec<(RwMode, Entry)>,
    waiting: Option<(LockToken, Instant)>,
}

impl RwState {
    /// Drops what expired; returns whether nothing is left.
    pub(super) fn purge(&mut self, now: Instant) -> bool {
        self.holds.retain(|(_, e)| e.expires > now);
        if self.waiting.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.waiting = None;
        }
        self.holds.is_empty() && self.waiting.is_none()
    }

    /// Whether any hold is left (a writer's waiting mark alone holds nothing).
    pub(super) fn has_holds(&self) -> bool {
        !self.holds.is_empty()
    }

    fn mark_of_other(&self, token: &LockToken) -> Option<Instant> {
        self.waiting.as_ref().filter(|(t, _)| t != token).map(|(_, until)| *until)
    }

    fn others<'a>(&'a self, token: &'a LockToken) -> impl Iterator<Item = &'a (RwMode, Entry)> {
        self.holds.iter().filter(move |(_, e)| e.token != *token)
    }
}

/// Whether a hold in `held` covers a request for `wanted` (a write covers everything, an
/// upgradeable read covers a read).
fn covers(held: RwMode, wanted: RwMode) -> bool {
    held == wanted
        || held == RwMode::Write
        || (held, wanted) == (RwMode::UpgradeableRead, RwMode::Read)
}

impl State {
    pub(super) fn acquire_rw(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
        self.wrote(now);
        let rw = self.rw.entry(key.clone()).or_default();
        rw.purge(now);
        let own = rw.holds.iter().position(|(_, e)| e.token == *token);
        if let Some(at) = own {
            let (held, entry) = &mut rw.holds[at];
            if covers(*held, mode) {
                entry.expires = expiry(now, ttl);
                let fencing = Some(FencingToken::new(entry.fencing));
                // Asking for a read again gives up this token's upgrade: its mark goes (RW5).
                let marked = rw.waiting.as_ref().is_some_and(|(t, _)| t == token);
                if mode != RwMode::Write && marked {
                    rw.waiting = None;
                    self.wake(key);
                }
                return AcquireOutcome::Acquired { fencing };
            }
        }
        let own_mode = own.map(|at| rw.holds[at].0);
        let wait_for = |until: Instant| AcquireOutcome::Held { ttl_remaining: Some(until - now) };
        let writer =
            rw.others(token).filter(|(m, _)| *m == RwMode::Write).map(|(_, e)| e.expires).min();
        let upgradeable = rw.others(token).any(|(m, _)| *m == RwMode::UpgradeableRead);
        match mode {
            RwMode::Read | RwMode::UpgradeableRead => {
                let blocker = writer.into_iter().chain(rw.mark_of_other(token)).min();
                if let Some(until) = blocker {
                    return wait_for(until);
                }
                if mode == RwMode::UpgradeableRead && upgradeable {
                    let until = rw.others(token).filter(|(m, _)| *m == RwMode::UpgradeableRead);
                    return wait_for(until.map(|(_, e)| e.expires).min().unwrap_or(now));
                }
            }
            RwMode::Write => {
                let upgrading = own_mode == Some(RwMode::UpgradeableRead);
                // Another writer waits first (an upgrade goes before it).
                if let Some(until) = rw.mark_of_other(token).filter(|_| !upgrading) {
                    return wait_for(until);
                }
                if let Some(until) = rw.others(token).map(|(_, e)| e.expires).min() {
                    let may_mark = upgrading
                        || (writer.is_none() && !upgradeable && rw.mark_of_other(token).is_none());
                    if may_mark {
                        rw.waiting = Some((token.clone(), expiry(now, ttl)));
                    }
                    return wait_for(until);
                }
            }
        }
        if let Some(at) = own {
            rw.holds.remove(at);
        }
        if mode == RwMode::Write && rw.waiting.as_ref().is_some_and(|(t, _)| t == token) {
            rw.waiting = None;
        }
        let fencing = self.issue_fence();
        let rw = self.rw.entry(key.clone()).or_default();
        rw.holds.push((mode, Entry { token: token.clone(), expires: expiry(now, ttl), fencing }));
        AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) }
    }

    pub(super) fn release_rw(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        now: Instant,
    ) -> ReleaseOutcome {
        let Some(rw) = self.rw.get_mut(key) else { return ReleaseOutcome::NotHeld };
        rw.purge(now);
        let before = rw.holds.len();
        rw.holds.retain(|(_, e)| e.token != *token);
        let released = rw.holds.len() < before;
        let unmarked = rw.waiting.as_ref().is_some_and(|(t, _)| t == token);
        if unmarked {
            rw.waiting = None;
        }
        if rw.purge(now) {
            self.rw.remove(key);
        }
        if released || unmarked {
            self.wake(key);
        }
        if released { ReleaseOutcome::Released } else { ReleaseOutcome::NotHeld }
    }

    pub(super) fn extend_rw(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        now: Instant,
    ) -> ExtendOutcome {
        let Some(rw) = self.rw.get_mut(key) else { return ExtendOutcome::NotHeld };
        rw.purge(now);
        match rw.holds.iter_mut().find(|(_, e)| e.token == *token) {
            Some((_, e)) => {
                e.expires = expiry(now, ttl);
                ExtendOutcome::Extended
            }
            None => ExtendOutcome::NotHeld,
        }
    }

    pub(super) fn rw_holders(&self, key: &LockKey, now: Instant) -> LeaseHolders {
        let Some(rw) = self.rw.get(key) else { return LeaseHolders::default() };
        let holders = rw
            .holds
            .iter()
            .filter(|(_, e)| e.expires > now)
            .map(|(mode, e)| LeaseHolder::rw(*mode, e.info(now)))
            .collect();
        let writer_waiting = rw.waiting.as_ref().is_some_and(|(_, until)| *until > now);
        LeaseHolders { holders, writer_waiting }
    }
}
