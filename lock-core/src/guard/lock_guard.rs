//! `LockGuard`: the owner of an acquired lock.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::{Handover, LockHandle};
use crate::backend::ReleaseOutcome;
use crate::error::{LossReason, Result};
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
///
/// The same holds for a [`LockGuard::release`] future dropped before the store answered (a
/// `timeout` or `select!` around it): the release goes on in the background.
pub struct LockGuard {
    handle: LockHandle,
    armed: bool,
}

impl LockGuard {
    pub(crate) fn new(handle: LockHandle) -> Self {
        Self { handle, armed: true }
    }

    /// Ends the guard without releasing its hold, which goes on under another guard (an
    /// upgrade's). Crate-internal: the caller has taken the hold over already.
    pub(crate) fn hand_on(mut self) {
        self.armed = false;
    }

    /// A cloneable handle to this lock, for tasks that need to watch or extend it.
    pub fn handle(&self) -> LockHandle {
        self.handle.clone()
    }

    /// Releases the lock now: [`ReleaseOutcome::Released`], or [`ReleaseOutcome::NotHeld`]
    /// when it had already expired or been taken over (nothing of anyone else's is touched).
    /// Temporary store errors are retried briefly before being returned; the lock then expires
    /// at its ttl. If this future is dropped before the store answered, the release is sent
    /// again in the background, as for a dropped guard.
    pub async fn release(mut self) -> Result<ReleaseOutcome> {
        let handle = &self.handle;
        handle.manager.stop_refresh(&handle.shared);
        handle.shared.mark_lost(LossReason::Released);
        let span = tracing::debug_span!("lock.release", key = %handle.shared.key, outcome = tracing::field::Empty);
        let releaser = handle.manager.releaser_in(&handle.shared.store);
        let release = releaser.release(&handle.shared.key, &handle.shared.token);
        let outcome = release.instrument(span.clone()).await.map_err(Into::into);
        // Answered: nothing is left to release on drop. Until here, a cancelled release left
        // the guard armed, and its drop sends the release again in the background.
        self.armed = false;
        span.record("outcome", tracing::field::debug(&outcome));
        outcome
    }

    /// Forgets the guard but keeps the lock in the store until its ttl (auto-refresh stops).
    /// Returns a [`Handover`], with which [`crate::LockManager::adopt`] takes the lock up again
    /// (same token, same fencing token) or [`crate::LockManager::release_handover`] releases
    /// it, in this process or, through [`Handover::into_parts`], in another (a plain lock only).
    /// A permit, a reader-writer hold or a fair lock is adopted as what it is.
    ///
    /// From the leak on, this guard's handles extend no more (`extend` errors with
    /// [`crate::Error::NotHeld`]): the hold is the handover's. An extension sent before may still
    /// land, up to two call timeouts after it was sent, and set the ttl it carried: the guard
    /// that adopts the handover in this process trusts no more than that ttl until then.
    pub fn leak(mut self) -> Handover {
        self.armed = false;
        let shared = &self.handle.shared;
        self.handle.manager.stop_refresh(shared);
        let landing = shared.hand_over();
        // A permit, a reader-writer hold, a fair lock or a lock with metadata lives in a view of
        // the backend: the handover keeps it, so adopting keeps the kind.
        let plain = Arc::ptr_eq(&shared.store, &self.handle.manager.backend);
        let store = (!plain).then(|| shared.store.clone());
        Handover::new(shared.key.clone(), shared.token.clone(), shared.fencing, store, landing)
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
        let releaser = handle.manager.releaser_in(&handle.shared.store);
        releaser.spawn(&handle.shared.key, &handle.shared.token);
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
