//! `SemaphoreBackend`: the optional contract for counting semaphores with leased permits.

use std::time::Duration;

use async_trait::async_trait;

use super::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome, ReleaseWatch};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// Counting semaphores with a lease per permit: up to `limit` holders under one key, each with
/// its own token and ttl, extended and released on its own; an expired permit frees its slot by
/// itself, on the store's clock.
///
/// A backend offers it by returning `Some(self)` from [`crate::LockBackend::semaphores`]; one
/// that does not keeps compiling and passing its suite unchanged. Use it through
/// [`crate::LockManager::semaphore`], which adds retries, waiting, validity, auto-refresh, loss
/// and guards exactly as for locks. Each method is one atomic step in the store, one round trip.
///
/// A name holds either a lock or a semaphore, not both: what a backend does with a lock
/// primitive on a semaphore's key (or the reverse) is unspecified, short of corrupting either.
///
/// **The limit is each caller's.** An acquire succeeds when fewer live permits than *its*
/// `limit` exist. Callers that disagree each enforce their own: there are never more holders
/// than the largest limit in use, and a caller with a smaller limit is refused until the count
/// is below it.
#[async_trait]
pub trait SemaphoreBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Takes a permit of the semaphore at `key` for `token` if fewer than `limit` are held.
    ///
    /// # Behavior
    /// - S1: Expired permits are dropped first (store clock). When fewer than `limit` live
    ///   permits remain, adds one for `token` with an expiry of `ttl` and returns
    ///   [`AcquireOutcome::Acquired`].
    /// - S2: When `limit` or more live permits are held by other tokens, returns
    ///   [`AcquireOutcome::Held`] and changes nothing; `ttl_remaining`, when given, is at most
    ///   the time until the soonest of them expires.
    /// - S3: When `token` already holds a permit, resets its expiry to `ttl` and returns
    ///   `Acquired` with the same fencing token as before (a retry after an ambiguous failure
    ///   is safe), whatever the count.
    /// - S4: Atomic: never more live permits than the largest `limit` any caller used.
    /// - S5: A permit expires `ttl` after it was set (never sooner), and then frees its slot.
    /// - S6: With [`crate::Capabilities::fencing`], `Acquired` carries `Some(fencing)`,
    ///   strictly greater than that of every earlier permit of the semaphore, across releases
    ///   and expiries. Without it, `None`.
    /// - S7: `limit` is at least 1 (the manager checks it).
    async fn try_acquire_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        limit: u32,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError>;

    /// Frees `token`'s permit of the semaphore at `key`.
    ///
    /// # Behavior
    /// - SR1: When `token` holds a live permit, removes it and returns
    ///   [`ReleaseOutcome::Released`]; its slot is free at once.
    /// - SR2: Otherwise returns [`ReleaseOutcome::NotHeld`] and changes nothing.
    /// - SR3: With release notification, a `Released` wakes every
    ///   [`SemaphoreBackend::watch_permits`] on the key.
    async fn release_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError>;

    /// Resets the expiry of `token`'s permit to `ttl`.
    ///
    /// # Behavior
    /// - SE1: When `token` holds a live permit, sets its remaining time to `ttl` and returns
    ///   [`ExtendOutcome::Extended`]; its fencing token is unchanged.
    /// - SE2: Otherwise returns [`ExtendOutcome::NotHeld`] and changes nothing: an expired or
    ///   released permit is never re-created.
    async fn extend_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError>;

    /// The live permits of the semaphore at `key`, in no particular order.
    ///
    /// # Behavior
    /// - SI1: One [`LockInfo`] per live permit: its holder's token, its remaining time (at
    ///   most what was set) and, with fencing, its fencing token; empty when none.
    /// - SI2: Read-only.
    async fn inspect_permits(&self, key: &LockKey) -> Result<Vec<LockInfo>, BackendError>;

    /// Resolves when a permit of the semaphore at `key` may have been released; the same
    /// promises as [`crate::LockBackend::watch_release`] (W1 to W4), for permits. Defaults to
    /// an `Unsupported` error.
    async fn watch_permits(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let _ = key;
        Err(BackendError::unsupported("semaphore", "watch_permits"))
    }
}
