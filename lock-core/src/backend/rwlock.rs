//! `RwLockBackend`: the optional contract for reader-writer locks.

use std::time::Duration;

use async_trait::async_trait;

use super::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome, ReleaseWatch};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// How a reader-writer lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RwMode {
    /// Shared with other readers and one upgradeable reader; excludes writers.
    Read,
    /// A read that may later become a write: shared with plain readers, exclusive among
    /// upgradeable readers, and excluding writers, so no other writer can get in before its
    /// upgrade.
    UpgradeableRead,
    /// Exclusive.
    Write,
}

/// One holder of a reader-writer lock, as [`RwLockBackend::inspect_rw`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RwHolder {
    /// How it holds the lock.
    pub mode: RwMode,
    /// Its token, remaining time and fencing token.
    pub info: LockInfo,
}

/// Reader-writer locks, writer-preferring, with a lease per holder: many readers or one
/// writer; each reader is its own holder with its own token and ttl.
///
/// A backend offers it by returning `Some(self)` from [`crate::LockBackend::rw_locks`]. Use it
/// through [`crate::LockManager::rw_lock`]. Each method is one atomic step in the store. A name
/// holds a lock, a semaphore or a reader-writer lock, never two of them.
///
/// **Writer preference.** A writer refused because of readers leaves a *waiting* mark with its
/// token for the ttl it asked for (renewed by its retries): new readers are refused while it
/// stands, so a stream of readers cannot starve the writer. The mark goes when that writer is
/// granted, releases, or the mark expires; one writer waits at a time (others are refused
/// without a mark).
///
/// **Fences.** One counter per lock: every grant, read or write, gets a fence above every
/// earlier one. So a writer's fence is above every earlier read and write, and a reader's fence
/// is above every earlier write: a resource that keeps the highest write fence it applied can
/// refuse a read whose fence is below it (that reader's lock was gone before the write).
#[async_trait]
pub trait RwLockBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Takes the lock at `key` in `mode` for `token`.
    ///
    /// # Behavior
    /// - RW1: `Read` is granted unless a writer holds the lock or another token's waiting mark
    ///   stands.
    /// - RW2: `UpgradeableRead` is granted as `Read` is, and only while no other token holds an
    ///   upgradeable read.
    /// - RW3: `Write` is granted when no other token holds the lock in any mode. When only
    ///   readers of other tokens stand in the way, it sets its waiting mark (unless another
    ///   token's mark stands, or another token holds an upgradeable read) and returns `Held`.
    /// - RW4: A token holding an upgradeable read that asks for `Write` upgrades: granted once
    ///   the other readers are gone; its mark is set even over another writer's. A token holding
    ///   a plain read that asks for `Write` is treated as any writer, its own read aside.
    /// - RW5: A token asking again for the mode it holds, or for one its hold covers (a read or
    ///   an upgradeable read while it writes, a read while it holds an upgradeable read),
    ///   renews its hold (ttl reset, mode kept) with the same fence; an upgrade gets a new
    ///   fence. A `Read` or `UpgradeableRead` asked this way also takes the token's waiting
    ///   mark away if one stands (an upgrade given up), and wakes the watchers as a release
    ///   does (RWR2).
    /// - RW6: Refusals change nothing but the mark (RW3); `Held { ttl_remaining }`, when given,
    ///   is at most the time until something in the way expires.
    /// - RW7: Holds expire at their ttl on the store's clock (never sooner).
    /// - RW8: With [`crate::Capabilities::fencing`], every grant carries a fence above every
    ///   earlier grant's on the lock (fences section above).
    async fn try_acquire_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError>;

    /// Ends whatever `token` holds on the lock at `key` (and its waiting mark).
    ///
    /// # Behavior
    /// - RWR1: `Released` when `token` held the lock in any mode; the hold, and its mark if any,
    ///   are gone at once. `NotHeld` otherwise, having removed only the token's mark if one
    ///   stood.
    /// - RWR2: With release notification, a release (or a mark removed) wakes every
    ///   [`RwLockBackend::watch_rw`] on the key.
    async fn release_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError>;

    /// Resets the expiry of `token`'s hold to `ttl`.
    ///
    /// # Behavior
    /// - RWE1: `Extended` when `token` holds the lock; otherwise `NotHeld`, nothing changed.
    async fn extend_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError>;

    /// The holders of the lock at `key`, and whether a writer's waiting mark stands.
    ///
    /// # Behavior
    /// - RWI1: One [`RwHolder`] per live hold, in no particular order; read-only.
    async fn inspect_rw(&self, key: &LockKey) -> Result<(Vec<RwHolder>, bool), BackendError>;

    /// Resolves when a hold on the lock at `key` may have ended; the promises of
    /// [`crate::LockBackend::watch_release`] (W1 to W4). Defaults to an `Unsupported` error.
    async fn watch_rw(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let _ = key;
        Err(BackendError::unsupported("rw_lock", "watch_rw"))
    }
}
