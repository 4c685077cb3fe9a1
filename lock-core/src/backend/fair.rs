//! `FairLockBackend`: the optional contract for locks whose waiters queue in the store, first
//! come first served across every process, with the lock handed to the next waiter by the
//! release itself.

use std::time::Duration;

use async_trait::async_trait;

use super::{AcquireOutcome, ReleaseOutcome, ReleaseWatch};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// Fair locks: a queue of waiting tokens per key in the store, each entry living `queue_ttl`
/// from its token's last attempt, and a release that grants the lock to the first live waiter
/// directly (the waiter learns it from the release notification and confirms with one more
/// attempt, which is how it learns its fence and measures its validity). A backend offers it by
/// returning `Some(self)` from [`crate::LockBackend::fair_locks`]; a request made with
/// [`crate::LockRequest::fair`] then goes through it.
///
/// The lock itself is an ordinary lock: extended, inspected and watched with the
/// [`crate::LockBackend`] primitives. A plain `release` of a fair lock frees it without a
/// handoff; the next attempt of any token hands it to the first live waiter then (FA1).
#[async_trait]
pub trait FairLockBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Takes `key` for `token`, in turn.
    ///
    /// # Behavior
    /// - FA1: When the key is free and no live waiter is queued ahead of `token`, it is granted
    ///   as [`crate::LockBackend::try_acquire`] would grant it (A1, A5 to A7), and `token`
    ///   leaves the queue. When the key is free but live waiters are ahead, it is granted to
    ///   the first of them (as a release would hand it over, FA3) and `token` is queued.
    /// - FA2: When the key is held by another token, the answer is `Held` with the holder's
    ///   remaining ttl, and `token` is queued: appended once, its place kept by later attempts,
    ///   its entry living `queue_ttl` from this attempt.
    /// - FA3 (the other half of `release_fair`): a key already held by `token`, whether taken
    ///   by an earlier attempt or handed to it by a release, is renewed as A3 renews it: the
    ///   answer is `Acquired` with the fence issued when it was granted, the ttl reset to `ttl`,
    ///   and `token` leaves the queue.
    /// - FA4: A waiter whose entry was not renewed within its `queue_ttl` is dropped from the
    ///   queue and never granted.
    async fn try_acquire_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        queue_ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError>;

    /// Gives `key` up for `token` and takes `token` out of the queue.
    ///
    /// # Behavior
    /// - FR1: When `token` holds the key, it is released (R1, R3: waiters are woken) and, if a
    ///   live waiter is queued, granted at once to the first one: held for that waiter's token
    ///   with a fence above every earlier one, and a ttl of at most that waiter's `queue_ttl`
    ///   (its confirming attempt, FA3, sets its own ttl). The answer is `Released`.
    /// - FR2: Otherwise the key is untouched and the answer is `NotHeld`; `token` is no longer
    ///   queued either way (a waiter giving up leaves the line this way).
    async fn release_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError>;

    /// A watch that resolves when `key` is handed to `token` (by `release_fair`, or by an
    /// attempt that found the key free, FA1), registered when returned, as
    /// [`crate::LockBackend::watch_release`] is (W1 to W4: it may also resolve for nothing).
    /// Only the waiter whose turn it is needs waking: the others keep waiting without asking
    /// the store.
    ///
    /// # Behavior
    /// - FW1: A handoff to `token` after the watch was returned resolves it.
    async fn watch_turn(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError>;
}
