//! What a lease call is about: the kind of hold is an argument of the backend contract, not a
//! trait of its own.
//!
//! # Design notes
//!
//! - **One contract for every kind.** A lock, a lock with metadata, a permit, a reader-writer
//!   hold and a place in a fair line share one shape (acquire, release, extend, inspect,
//!   watch). [`crate::LockBackend`] has one provided method per step, taking the kind
//!   ([`Lease`] for the acquire, which carries what taking it needs, [`LeaseKind`] for the
//!   rest), as object_store's `put_opts` takes its mode. A backend offers a kind by overriding
//!   those methods for it and saying so in [`crate::backend::Capabilities`] (the one answer to "what can
//!   this store do", read by the manager, the docs and the conformance suite); everything it
//!   does not offer is `Unsupported` before any I/O. Before, each kind was a trait of its own
//!   with its own accessor and forwarding entries: four copies of one shape.
//! - **What stays apart.** Lock sets and batched extends are provided methods of their own
//!   (`try_acquire_all`, `extend_batch`, with `can_acquire_together` and `max_batch`): they are
//!   not leases of one key but operations over several plain locks, with shapes of their own.
//!   Guarded writes keep a trait (`GuardedWriteBackend`, through `guarded_writes()`): they
//!   write data, not leases, and three methods belong together. All three are flags of
//!   `Capabilities` like the lease kinds, so there is one answer to "what can it do".
//! - **Adding a kind**: a variant here (its bullets in its doc) and in [`LeaseKind`], a flag in
//!   `Capabilities`, its arm in the backends that offer it (MemoryBackend's `memory/` and
//!   lock-redis-protocol's script, its Rust side and key layout), its user handle, its cases in the suite.

use std::time::Duration;

use super::LockInfo;
use crate::metadata::Metadata;

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

/// What [`crate::LockBackend::acquire_lease`] takes: the kind of hold, with what taking it
/// needs. The other lease calls take its [`LeaseKind`].
///
/// Each variant's bullets are the contract of the lease calls for that kind; `lock-testkit`
/// checks each one. A name holds one kind at a time (a lock, with or without metadata and
/// whether taken fairly or not, a semaphore, or a reader-writer lock): asking for it as another
/// is a `WrongType` error that changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease<'a> {
    /// A plain lock: the lease calls are [`crate::LockBackend::try_acquire`], `release`,
    /// `extend`, `inspect` and `watch_release`, with their bullets (A1 to A7, R1 to R3, E1 to
    /// E3, I1 to I3, W1 to W4). Every backend offers it.
    Lock,

    /// A lock that carries its holder's [`Metadata`]: the plain lock's calls, each also
    /// writing, refreshing or removing the metadata in the same atomic step. The lock itself is
    /// stored exactly as a plain lock (in Redis, the lock key keeps the plain token), so clients
    /// that know nothing of metadata still exclude and are excluded.
    /// [`crate::backend::Capabilities::metadata`]; the manager uses it for
    /// [`crate::LockRequest::metadata`].
    ///
    /// - M1: Acquire: every bullet of `try_acquire` (A1 to A7) holds.
    /// - M2: On `Acquired`, the metadata is stored for the token in the same atomic step
    ///   (replacing any earlier metadata of the key), with the lock's expiry; on `Held`,
    ///   nothing changes. An empty [`Metadata`] is stored like any other: M5 shows it, with no
    ///   fields.
    /// - M3: Extend: every bullet of `extend` (E1 to E3) holds, and the metadata lives as long
    ///   as the lock.
    /// - M4: Release: every bullet of `release` (R1 to R3) holds; on `Released` the metadata is
    ///   gone too.
    /// - M5: [`crate::LockBackend::inspect_metadata`] answers the current holder's metadata with
    ///   its token: `None` when the key is free, expired, or its holder stored no metadata
    ///   (metadata left by an earlier holder is never shown for a later one, whichever call took
    ///   the lock: a plain `try_acquire` by a new holder hides it too). A plain `try_acquire` or
    ///   `extend` by the holder leaves its stored metadata as it is, its expiry included: a
    ///   lock with metadata is renewed with the metadata lease calls.
    /// - M6: `inspect_metadata` is read-only. Inspecting and watching are the plain lock's.
    Metadata(&'a Metadata),

    /// A permit of a counting semaphore of `limit`: up to `limit` holders under one key, each
    /// with its own token and ttl, extended and released on its own; an expired permit frees
    /// its slot by itself, on the store's clock. [`crate::backend::Capabilities::permits`]; the manager
    /// uses it for [`crate::LockManager::semaphore`].
    ///
    /// **The limit is each caller's.** An acquire succeeds when fewer live permits than *its*
    /// `limit` exist. Callers that disagree each enforce their own: there are never more
    /// holders than the largest limit in use, and a caller with a smaller limit is refused
    /// until the count is below it.
    ///
    /// - S1: Expired permits are dropped first (store clock). When fewer than `limit` live
    ///   permits remain, adds one for the token with an expiry of `ttl` and returns `Acquired`.
    /// - S2: When `limit` or more live permits are held by other tokens, returns `Held` and
    ///   changes nothing; `ttl_remaining`, when given, is at most the time until the soonest of
    ///   them expires.
    /// - S3: When the token already holds a permit, resets its expiry to `ttl` and returns
    ///   `Acquired` with the same fencing token as before (a retry after an ambiguous failure
    ///   is safe), whatever the count.
    /// - S4: Atomic: never more live permits than the largest `limit` any caller used.
    /// - S5: A permit expires `ttl` after it was set (never sooner), and then frees its slot.
    /// - S6: With [`crate::backend::Capabilities::fencing`], `Acquired` carries `Some(fencing)`,
    ///   strictly greater than that of every earlier permit of the semaphore, across releases
    ///   and expiries. Without it, `None`.
    /// - S7: `limit` is at least 1 (the manager checks it).
    /// - SR1: Release: when the token holds a live permit, removes it and returns `Released`;
    ///   its slot is free at once.
    /// - SR2: Otherwise returns `NotHeld` and changes nothing.
    /// - SR3: With release notification, a `Released` wakes every permit watch on the key.
    /// - SE1: Extend: when the token holds a live permit, sets its remaining time to `ttl` and
    ///   returns `Extended`; its fencing token is unchanged.
    /// - SE2: Otherwise returns `NotHeld` and changes nothing: an expired or released permit is
    ///   never re-created.
    /// - SI1: Inspect: one holder per live permit (its token, its remaining time, at most what
    ///   was set, and with fencing its fencing token), in no particular order; empty when none.
    /// - SI2: Inspecting is read-only.
    /// - Watch: resolves when a permit may have been released, with the promises of
    ///   `watch_release` (W1 to W4).
    Permit {
        /// The caller's limit, at least 1.
        limit: u32,
    },

    /// A reader-writer hold in a mode: writer-preferring, with a lease per holder (many readers
    /// or one writer; each reader is its own holder with its own token and ttl).
    /// [`crate::backend::Capabilities::rw_locks`]; the manager uses it for [`crate::LockManager::rw_lock`].
    ///
    /// **Writer preference.** A writer refused because of readers leaves a *waiting* mark with
    /// its token for the ttl it asked for (renewed by its retries): new readers are refused
    /// while it stands, so a stream of readers cannot starve the writer. The mark goes when
    /// that writer is granted, releases, or the mark expires; one writer waits at a time
    /// (others are refused without a mark).
    ///
    /// **Fences.** One counter per lock: every grant, read or write, gets a fence above every
    /// earlier one. So a writer's fence is above every earlier read and write, and a reader's
    /// fence is above every earlier write: a resource that keeps the highest write fence it
    /// applied can refuse a read whose fence is below it.
    ///
    /// - RW1: `Read` is granted unless a writer holds the lock or another token's waiting mark
    ///   stands.
    /// - RW2: `UpgradeableRead` is granted as `Read` is, and only while no other token holds an
    ///   upgradeable read.
    /// - RW3: `Write` is granted when no other token holds the lock in any mode. When only
    ///   readers of other tokens stand in the way, it sets its waiting mark (unless another
    ///   token's mark stands, or another token holds an upgradeable read) and returns `Held`.
    /// - RW4: A token holding an upgradeable read that asks for `Write` upgrades: granted once
    ///   the other readers are gone; its mark is set even over another writer's. A token
    ///   holding a plain read that asks for `Write` is treated as any writer, its own read
    ///   aside.
    /// - RW5: A token asking again for the mode it holds, or for one its hold covers (a read or
    ///   an upgradeable read while it writes, a read while it holds an upgradeable read),
    ///   renews its hold (ttl reset, mode kept) with the same fence; an upgrade gets a new
    ///   fence. A `Read` or `UpgradeableRead` asked this way also takes the token's waiting
    ///   mark away if one stands (an upgrade given up), and wakes the watchers as a release
    ///   does (RWR2).
    /// - RW6: Refusals change nothing but the mark (RW3); `Held { ttl_remaining }`, when given,
    ///   is at most the time until something in the way expires.
    /// - RW7: Holds expire at their ttl on the store's clock (never sooner).
    /// - RW8: With [`crate::backend::Capabilities::fencing`], every grant carries a fence above every
    ///   earlier grant's on the lock (fences above).
    /// - RWR1: Release: `Released` when the token held the lock in any mode; the hold, and its
    ///   mark if any, are gone at once. `NotHeld` otherwise, having removed only the token's
    ///   mark if one stood.
    /// - RWR2: With release notification, a release (or a mark removed) wakes every
    ///   reader-writer watch on the key.
    /// - RWE1: Extend: `Extended` when the token holds the lock; otherwise `NotHeld`, nothing
    ///   changed.
    /// - RWI1: Inspect: one holder per live hold, with its mode (`Some`: `RwLock::holders`
    ///   refuses a holder without one as a `Protocol` error), in no particular order, and
    ///   whether a writer's waiting mark stands; read-only.
    /// - Watch: resolves when a hold may have ended, with the promises of `watch_release` (W1
    ///   to W4).
    Rw(RwMode),

    /// A plain lock taken in turn: a queue of waiting tokens per key in the store, each entry
    /// living `queue_ttl` from its token's last attempt, and a release that grants the lock to
    /// the first live waiter directly (the waiter learns it from its turn watch and confirms
    /// with one more attempt, which is how it learns its fence and measures its validity).
    /// [`crate::backend::Capabilities::fair_locks`]; the manager uses it for
    /// [`crate::LockRequest::fair`].
    ///
    /// The lock itself is an ordinary lock: extending and inspecting a fair lease are the plain
    /// lock's calls (the provided `extend_lease` and `inspect_lease` do that for
    /// [`LeaseKind::Fair`]). A plain `release` of a fair lock frees it without a handoff; the
    /// next attempt of any token hands it to the first live waiter then (FA1).
    ///
    /// - FA1: When the key is free and no live waiter is queued ahead of the token, it is
    ///   granted as `try_acquire` would grant it (A1, A5 to A7), and the token leaves the
    ///   queue. When the key is free but live waiters are ahead, it is granted to the first of
    ///   them (as a release would hand it over, FA3) and the token is queued.
    /// - FA2: When the key is held by another token, the answer is `Held` with the holder's
    ///   remaining ttl, and the token is queued: appended once, its place kept by later
    ///   attempts, its entry living `queue_ttl` from this attempt.
    /// - FA3: A key already held by the token, whether taken by an earlier attempt or handed
    ///   to it by a release, is renewed as A3 renews it: the answer is `Acquired` with the
    ///   fence issued when it was granted, the ttl reset to `ttl`, and the token leaves the
    ///   queue.
    /// - FA4: A waiter whose entry was not renewed within its `queue_ttl` is dropped from the
    ///   queue and never granted.
    /// - FR1: Release: when the token holds the key, it is released (R1, R3: waiters are woken)
    ///   and, if a live waiter is queued, granted at once to the first one: held for that
    ///   waiter's token with a fence above every earlier one, and a ttl of at most that
    ///   waiter's `queue_ttl` (its confirming attempt, FA3, sets its own ttl). The answer is
    ///   `Released`.
    /// - FR2: Otherwise the key is untouched and the answer is `NotHeld`; the token is no longer
    ///   queued either way (a waiter giving up leaves the line this way).
    /// - FW1: Watch: the watch of a token resolves when the key is handed to that token (by a
    ///   release, or by an attempt that found the key free, FA1), registered when returned, as
    ///   `watch_release` is (W1 to W4: it may also resolve for nothing). Only the waiter whose
    ///   turn it is needs waking: the others keep waiting without asking the store.
    Fair {
        /// How long the token's place in the queue lives after this attempt.
        queue_ttl: Duration,
    },
}

impl Lease<'_> {
    /// The kind, without what acquiring it needs.
    pub const fn kind(&self) -> LeaseKind {
        match self {
            Self::Lock => LeaseKind::Lock,
            Self::Metadata(_) => LeaseKind::Metadata,
            Self::Permit { .. } => LeaseKind::Permit,
            Self::Rw(_) => LeaseKind::Rw,
            Self::Fair { .. } => LeaseKind::Fair,
        }
    }
}

/// The kind of a [`Lease`], as the lease calls after the acquire take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaseKind {
    /// [`Lease::Lock`].
    Lock,
    /// [`Lease::Metadata`].
    Metadata,
    /// [`Lease::Permit`].
    Permit,
    /// [`Lease::Rw`].
    Rw,
    /// [`Lease::Fair`].
    Fair,
}

impl LeaseKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 5] = [Self::Lock, Self::Metadata, Self::Permit, Self::Rw, Self::Fair];

    /// What a backend that does not offer this kind is missing, as an
    /// [`crate::Error::Unsupported`] names it.
    pub const fn operation(self) -> &'static str {
        match self {
            Self::Lock => "locks",
            Self::Metadata => "lock metadata",
            Self::Permit => "semaphores",
            Self::Rw => "rw_locks",
            Self::Fair => "fair locks",
        }
    }
}

/// One holder of a key, as [`crate::LockBackend::inspect_lease`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseHolder {
    /// How it holds a reader-writer lock; `None` for the other kinds.
    pub mode: Option<RwMode>,
    /// Its token, remaining time and fencing token.
    pub info: LockInfo,
}

impl LeaseHolder {
    /// A holder of a kind without modes.
    pub fn new(info: LockInfo) -> Self {
        Self { mode: None, info }
    }

    /// A reader-writer holder in `mode`.
    pub fn rw(mode: RwMode, info: LockInfo) -> Self {
        Self { mode: Some(mode), info }
    }
}

/// Who holds a key as one kind, as [`crate::LockBackend::inspect_lease`] reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseHolders {
    /// One entry per live hold (a lock has at most one), in no particular order.
    pub holders: Vec<LeaseHolder>,
    /// A reader-writer lock only: whether a writer's waiting mark stands.
    pub writer_waiting: bool,
}

impl LeaseHolders {
    /// The holders without their modes.
    pub fn into_infos(self) -> Vec<LockInfo> {
        self.holders.into_iter().map(|h| h.info).collect()
    }
}

impl FromIterator<LockInfo> for LeaseHolders {
    /// Holders of a kind without modes (permits, or a lock's one holder).
    fn from_iter<I: IntoIterator<Item = LockInfo>>(infos: I) -> Self {
        Self { holders: infos.into_iter().map(LeaseHolder::new).collect(), writer_waiting: false }
    }
}

impl From<Option<LockInfo>> for LeaseHolders {
    /// A lock's holder, if any.
    fn from(info: Option<LockInfo>) -> Self {
        info.into_iter().collect()
    }
}
