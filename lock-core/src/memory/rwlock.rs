//! `MemoryBackend`'s reader-writer locks: a name's holds, and a waiting writer's mark beside
//! the name (as in Redis, where the mark is a key of its own that holds nothing), on tokio's
//! clock. Every step runs after `State::only` checked the name with the same `now`: its
//! expired holds are gone.

use std::time::Duration;

use tokio::time::Instant;

use super::backend::{Entry, Held, State, expiry};
use crate::backend::{
    AcquireOutcome, ExtendOutcome, LeaseHolder, LeaseHolders, ReleaseOutcome, RwMode,
};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

/// One reader-writer lock, taken out of the keyspace for a step: its live holds and the
/// waiting writer's live mark.
#[derive(Debug, Default)]
struct RwState {
    holds: Vec<(RwMode, Entry)>,
    waiting: Option<(LockToken, Instant)>,
}

impl RwState {
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
    /// Takes `key`'s reader-writer lock out of the keyspace (an expired mark is dropped).
    fn take_rw(&mut self, key: &LockKey, now: Instant) -> RwState {
        let holds = match self.names.remove(key) {
            Some(Held::Rw(holds)) => holds,
            // `only` let no other kind through; put it back untouched all the same.
            Some(other) => {
                self.names.insert(key.clone(), other);
                Vec::new()
            }
            None => Vec::new(),
        };
        let waiting = self.marks.remove(key).filter(|(_, until)| *until > now);
        RwState { holds, waiting }
    }

    /// Puts it back: the holds as the name's (none: the name is free), the mark beside them.
    fn put_rw(&mut self, key: &LockKey, rw: RwState) {
        if !rw.holds.is_empty() {
            self.names.insert(key.clone(), Held::Rw(rw.holds));
        }
        if let Some(mark) = rw.waiting {
            self.marks.insert(key.clone(), mark);
        }
    }

    pub(super) fn acquire_rw(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
        self.wrote(now);
        let mut rw = self.take_rw(key, now);
        let outcome = self.grant_rw(&mut rw, key, token, mode, ttl, now);
        self.put_rw(key, rw);
        outcome
    }

    /// The acquire's decision on `rw` (taken out of the keyspace): writer-preferring, one
    /// upgradeable reader, an upgrade before any other writer (F2).
    fn grant_rw(
        &mut self,
        rw: &mut RwState,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
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
        rw.holds.push((mode, Entry { token: token.clone(), expires: expiry(now, ttl), fencing }));
        AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) }
    }

    pub(super) fn release_rw(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        now: Instant,
    ) -> ReleaseOutcome {
        let mut rw = self.take_rw(key, now);
        let before = rw.holds.len();
        rw.holds.retain(|(_, e)| e.token != *token);
        let released = rw.holds.len() < before;
        let unmarked = rw.waiting.as_ref().is_some_and(|(t, _)| t == token);
        if unmarked {
            rw.waiting = None;
        }
        self.put_rw(key, rw);
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
        let Some(Held::Rw(holds)) = self.names.get_mut(key) else { return ExtendOutcome::NotHeld };
        match holds.iter_mut().find(|(_, e)| e.token == *token) {
            Some((_, e)) => {
                e.expires = expiry(now, ttl);
                ExtendOutcome::Extended
            }
            None => ExtendOutcome::NotHeld,
        }
    }

    pub(super) fn rw_holders(&self, key: &LockKey, now: Instant) -> LeaseHolders {
        let holders = match self.names.get(key) {
            Some(Held::Rw(holds)) => {
                holds.iter().map(|(mode, e)| LeaseHolder::rw(*mode, e.info(now))).collect()
            }
            _ => Vec::new(),
        };
        let writer_waiting = self.marks.get(key).is_some_and(|(_, until)| *until > now);
        LeaseHolders { holders, writer_waiting }
    }
}
