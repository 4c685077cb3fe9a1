//! `LockGuard`: the owner of an acquired lock.

use std::fmt;
use std::ops::Deref;

use super::LockHandle;
use crate::backend::ReleaseOutcome;
use crate::error::{LossReason, Result};
use crate::token::LockToken;
use tracing::Instrument;

/// An acquired lock. Release it with [`LockGuard::release`]; everything a [`LockHandle`] offers
/// is available through `Deref` (`fencing_token()`, `lost()`, `is_valid()`, `extend()`...).
///
/// # Dropping
///
/// Dropping a guard without calling `release` releases the lock in the background, on the
/// tokio runtime current at the drop: **not immediately**, and not at all if the process
/// exits first (the lock then expires at its ttl). Outside a runtime the drop only logs a
/// warning and the lock expires at its ttl; it never panics. Call [`LockGuard::leak`] to keep
/// the lock in the store after the guard is gone. Auto-refresh stops with the guard.
pub struct LockGuard {
    handle: LockHandle,
    armed: bool,
}

impl LockGuard {
    pub(crate) fn new(handle: LockHandle) -> Self {
        Self { handle, armed: true }
    }

    /// A cloneable handle to this lock, for tasks that need to watch or extend it.
    pub fn handle(&self) -> LockHandle {
        self.handle.clone()
    }

    /// Releases the lock now: [`ReleaseOutcome::Released`], or [`ReleaseOutcome::NotHeld`]
    /// when it had already expired or been taken over (nothing of anyone else's is touched).
    /// Temporary store errors are retried briefly before being returned; the lock then expires
    /// at its ttl.
    pub async fn release(mut self) -> Result<ReleaseOutcome> {
        self.armed = false;
        let handle = &self.handle;
        handle.manager.stop_refresh(&handle.shared);
        handle.shared.mark_lost(LossReason::Released);
        let span = tracing::debug_span!("lock.release", key = %handle.shared.key, outcome = tracing::field::Empty);
        let release = handle.manager.release(&handle.shared.key, &handle.shared.token);
        let outcome = release.instrument(span.clone()).await;
        span.record("outcome", tracing::field::debug(&outcome));
        outcome
    }

    /// Forgets the guard but keeps the lock in the store until its ttl (auto-refresh stops).
    /// Returns the token, with which [`crate::LockManager::release_token`] or a re-acquire
    /// with [`crate::LockRequest::token`] can take it up again, in this process or another.
    pub fn leak(mut self) -> LockToken {
        self.armed = false;
        self.handle.manager.stop_refresh(&self.handle.shared);
        self.handle.shared.token.clone()
    }
}

impl Deref for LockGuard {
    type Target = LockHandle;

    fn deref(&self) -> &LockHandle {
        &self.handle
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let handle = &self.handle;
        handle.manager.stop_refresh(&handle.shared);
        handle.shared.mark_lost(LossReason::Released);
        handle.manager.release_in_background(&handle.shared.key, &handle.shared.token);
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LockGuard").field(&self.handle).finish()
    }
}

impl fmt::Display for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.handle, f)
    }
}
