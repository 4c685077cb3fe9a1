//! `MultiGuard`: the owner of every lock of an all-or-nothing set.

use std::fmt;
use std::time::Duration;

use futures_util::future::{join_all, select_all};

use crate::backend::ReleaseOutcome;
use crate::error::{Error, LossReason, Result};
use crate::fencing::FencingToken;
use crate::guard::{LockGuard, LockHandle};
use crate::key::LockKey;

/// Every lock of a set taken with [`crate::LockManager::lock_all`]: one [`LockGuard`] per name,
/// in the set's fixed order (by key bytes), each with its own fencing token, refreshed by the
/// manager's one refresher. Losing any member loses the whole guard: [`MultiGuard::is_valid`]
/// turns false and [`MultiGuard::lost`] resolves.
///
/// Release it with [`MultiGuard::release`]. Dropping it drops every member guard, each released
/// in the background (see [`LockGuard`]'s drop rules).
pub struct MultiGuard {
    guards: Vec<LockGuard>,
}

impl MultiGuard {
    pub(crate) fn new(guards: Vec<LockGuard>) -> Self {
        Self { guards }
    }

    /// The member guards, in the set's order (by key bytes).
    pub fn guards(&self) -> &[LockGuard] {
        &self.guards
    }

    /// Cloneable handles to every member, for tasks that watch or extend them.
    pub fn handles(&self) -> Vec<LockHandle> {
        self.guards.iter().map(|g| g.handle()).collect()
    }

    /// The members' keys, in the set's order.
    pub fn keys(&self) -> impl Iterator<Item = &LockKey> {
        self.guards.iter().map(|g| g.key())
    }

    /// Each member's key and fencing token: pass the token of each resource along with the
    /// writes to it.
    pub fn fencing_tokens(&self) -> Vec<(LockKey, Option<FencingToken>)> {
        self.guards.iter().map(|g| (g.key().clone(), g.fencing_token())).collect()
    }

    /// The fencing token of the member whose key is `key`.
    pub fn fencing_token(&self, key: &LockKey) -> Option<FencingToken> {
        self.guards.iter().find(|g| g.key() == key).and_then(|g| g.fencing_token())
    }

    /// Whether every member may still be relied on.
    pub fn is_valid(&self) -> bool {
        self.guards.iter().all(|g| g.is_valid())
    }

    /// Why the first lost member was lost, or `None` while all are held.
    pub fn loss(&self) -> Option<LossReason> {
        self.guards.iter().find_map(|g| g.loss())
    }

    /// The time left before the soonest member's validity deadline; zero once one is lost.
    pub fn remaining(&self) -> Duration {
        self.guards.iter().map(|g| g.remaining()).min().unwrap_or_default()
    }

    /// Resolves when any member is lost, with why.
    pub async fn lost(&self) -> LossReason {
        select_all(self.guards.iter().map(|g| g.lost())).await.0
    }

    /// Extends every member to `ttl` (concurrently). Errors with the first member's error;
    /// [`Error::NotHeld`] when one was lost.
    pub async fn extend(&self, ttl: Duration) -> Result<()> {
        join_all(self.guards.iter().map(|g| g.extend(ttl))).await.into_iter().collect()
    }

    /// Asks the store whether every member is still held (see [`LockHandle::verify`]).
    pub async fn verify(&self) -> Result<bool> {
        let answers = join_all(self.guards.iter().map(|g| g.verify())).await;
        let mut all = true;
        for answer in answers {
            all &= answer?;
        }
        Ok(all)
    }

    /// Releases every member (concurrently): [`ReleaseOutcome::Released`] when all were
    /// released, [`ReleaseOutcome::NotHeld`] when one had already expired or been taken over
    /// (the others are released all the same). A store error is returned after every member
    /// was tried; the members it concerns expire at their ttl.
    pub async fn release(self) -> Result<ReleaseOutcome> {
        let outcomes = join_all(self.guards.into_iter().map(LockGuard::release)).await;
        let mut all = ReleaseOutcome::Released;
        let mut failed: Option<Error> = None;
        for outcome in outcomes {
            match outcome {
                Ok(ReleaseOutcome::Released) => {}
                Ok(_) => all = ReleaseOutcome::NotHeld,
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(all),
        }
    }
}

impl fmt::Debug for MultiGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.guards).finish()
    }
}

impl fmt::Display for MultiGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("locks [")?;
        for (i, g) in self.guards.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(g, f)?;
        }
        f.write_str("]")
    }
}
