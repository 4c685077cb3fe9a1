//! The `LockBackend` trait.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{
    AcquireOutcome, BackendInfo, ExtendItem, ExtendOutcome, GuardedWriteBackend, Lease,
    LeaseHolders, LeaseKind, LockInfo, MultiAcquireOutcome, ReleaseOutcome, ReleaseWatch,
};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

/// The contract a store implements to hold locks: a handful of atomic primitives, each one
/// round trip. Everything else (retry, waiting, validity, auto-refresh, loss, guards) lives in
/// [`crate::LockManager`], so a backend stays small. Implement this trait to add a store; use
/// the manager to take locks.
///
/// Every method's `# Behavior` bullets are the contract: `lock-testkit` checks each one, and a
/// backend that passes its suite can be used anywhere a built-in one can. Keys arrive
/// validated and prefixed ([`LockKey::as_bytes`] is the whole key), tokens are minted by the
/// manager, and ttls are at least 1 ms. Contention is never an error: a held lock is an
/// outcome. Return a [`BackendError`] only when the store could not answer, and mark it
/// temporary when a retry may succeed.
///
/// # Example
///
/// A complete single-process backend without fencing or release notification (the
/// crate's [`crate::MemoryBackend`] is the full-featured one):
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::{Duration, Instant};
///
/// use lock_core::backend::{
///     AcquireOutcome, BackendInfo, Capabilities, ExtendOutcome, LockInfo, ReleaseOutcome,
///     async_trait,
/// };
/// use lock_core::{BackendError, LockBackend, LockKey, LockToken};
///
/// #[derive(Debug, Default)]
/// struct MapBackend {
///     locks: Mutex<HashMap<Vec<u8>, (LockToken, Instant)>>,
/// }
///
/// impl MapBackend {
///     /// Runs `f` on the live entry for `key` (expired entries are removed first).
///     fn with_entry<R>(&self, key: &LockKey, f: impl FnOnce(&mut Option<(LockToken, Instant)>) -> R) -> R {
///         let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
///         let mut entry = locks.remove(key.as_bytes()).filter(|(_, until)| *until > Instant::now());
///         let out = f(&mut entry);
///         if let Some(e) = entry {
///             locks.insert(key.as_bytes().to_vec(), e);
///         }
///         out
///     }
/// }
///
/// #[async_trait]
/// impl LockBackend for MapBackend {
///     fn info(&self) -> BackendInfo {
///         BackendInfo::new("map", Capabilities::none())
///     }
///
///     async fn try_acquire(&self, key: &LockKey, token: &LockToken, ttl: Duration)
///         -> Result<AcquireOutcome, BackendError> {
///         Ok(self.with_entry(key, |entry| match entry {
///             Some((holder, until)) if holder != token => {
///                 AcquireOutcome::Held { ttl_remaining: Some(until.saturating_duration_since(Instant::now())) }
///             }
///             _ => {
///                 *entry = Some((token.clone(), Instant::now() + ttl));
///                 AcquireOutcome::Acquired { fencing: None }
///             }
///         }))
///     }
///
///     async fn release(&self, key: &LockKey, token: &LockToken) -> Result<ReleaseOutcome, BackendError> {
///         Ok(self.with_entry(key, |entry| match entry {
///             Some((holder, _)) if holder == token => {
///                 *entry = None;
///                 ReleaseOutcome::Released
///             }
///             _ => ReleaseOutcome::NotHeld,
///         }))
///     }
///
///     async fn extend(&self, key: &LockKey, token: &LockToken, ttl: Duration)
///         -> Result<ExtendOutcome, BackendError> {
///         Ok(self.with_entry(key, |entry| match entry {
///             Some((holder, until)) if holder == token => {
///                 *until = Instant::now() + ttl;
///                 ExtendOutcome::Extended
///             }
///             _ => ExtendOutcome::NotHeld,
///         }))
///     }
///
///     async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
///         Ok(self.with_entry(key, |entry| {
///             entry.as_ref().map(|(holder, until)| LockInfo {
///                 holder: holder.clone(),
///                 ttl_remaining: Some(until.saturating_duration_since(Instant::now())),
///                 fencing: None,
///             })
///         }))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = lock_core::LockManager::new(MapBackend::default());
/// let guard = locks.try_lock("report", Duration::from_secs(5)).await?.expect("free");
/// assert!(locks.try_lock("report", Duration::from_secs(5)).await?.is_none());
/// guard.release().await?;
/// # Ok(())
/// # }
/// ```
///
/// Prove it with the conformance suite, one line in the backend crate's tests
/// (see `lock-testkit`):
///
/// ```text
/// lock_testkit::conformance_suite!(map_backend, async { MapBackend::default() });
/// ```
///
/// # Implementing
///
/// - Make every primitive atomic in the store (a Lua script, a transaction, a conditional
///   write); compare tokens in the store, never by reading then writing from the client.
/// - Measure ttls on the store's clock; never send client timestamps.
/// - Store auxiliary data (fencing counters, wake-up channels) under keys containing `~`:
///   neither lock names nor prefixes may contain it, so such keys cannot collide with a lock.
/// - Implement `Debug` without credentials.
/// - Beyond plain locks, everything is optional and said in [`BackendInfo::capabilities`]: the
///   other kinds of lease are an argument of the lease calls ([`LockBackend::acquire_lease`] and
///   the rest, taking a [`Lease`] or [`LeaseKind`]); lock sets and batched extends are provided
///   methods; guarded writes a trait behind [`LockBackend::guarded_writes`]. Override what you
///   offer and set its flag; the defaults answer `Unsupported`, the manager refuses what the
///   flags do not offer before any I/O, and the suite skips those cases. A wrapper forwards
///   everything with [`crate::forward_lock_backend!`].
///
/// ```
/// use std::time::Duration;
/// use lock_core::backend::{
///     AcquireOutcome, BackendInfo, Capabilities, ExtendOutcome, Lease, LeaseHolders, LeaseKind,
///     LockInfo, ReleaseOutcome, async_trait,
/// };
/// use lock_core::{BackendError, LockBackend, LockKey, LockToken, MemoryBackend};
///
/// /// Offers plain locks and permits, from a store that has both (here a MemoryBackend).
/// #[derive(Debug, Default)]
/// struct Permits(MemoryBackend);
///
/// #[async_trait]
/// impl LockBackend for Permits {
///     fn info(&self) -> BackendInfo {
///         let caps = Capabilities::none().with_fencing(true).with_leases(&[LeaseKind::Permit]);
///         BackendInfo::new("permits", caps)
///     }
///     // The four plain primitives (A, R, E, I bullets), here forwarded.
/// #   async fn try_acquire(&self, key: &LockKey, token: &LockToken, ttl: Duration)
/// #       -> Result<AcquireOutcome, BackendError> { self.0.try_acquire(key, token, ttl).await }
/// #   async fn release(&self, key: &LockKey, token: &LockToken)
/// #       -> Result<ReleaseOutcome, BackendError> { self.0.release(key, token).await }
/// #   async fn extend(&self, key: &LockKey, token: &LockToken, ttl: Duration)
/// #       -> Result<ExtendOutcome, BackendError> { self.0.extend(key, token, ttl).await }
/// #   async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
/// #       self.0.inspect(key).await
/// #   }
///
///     async fn acquire_lease(&self, key: &LockKey, token: &LockToken, lease: Lease<'_>, ttl: Duration)
///         -> Result<AcquireOutcome, BackendError> {
///         match lease {
///             Lease::Lock | Lease::Permit { .. } => self.0.acquire_lease(key, token, lease, ttl).await,
///             other => Err(BackendError::unsupported("permits", other.kind().operation())),
///         }
///     }
///     // ... and release_lease, extend_lease, inspect_lease, watch_lease the same way.
/// #   async fn release_lease(&self, key: &LockKey, token: &LockToken, kind: LeaseKind)
/// #       -> Result<ReleaseOutcome, BackendError> { self.0.release_lease(key, token, kind).await }
/// #   async fn extend_lease(&self, key: &LockKey, token: &LockToken, kind: LeaseKind, ttl: Duration)
/// #       -> Result<ExtendOutcome, BackendError> { self.0.extend_lease(key, token, kind, ttl).await }
/// #   async fn inspect_lease(&self, key: &LockKey, kind: LeaseKind)
/// #       -> Result<LeaseHolders, BackendError> { self.0.inspect_lease(key, kind).await }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = lock_core::LockManager::new(Permits::default());
/// let pool = locks.semaphore("pool", 2)?;
/// let permit = pool.permit().ttl(Duration::from_secs(5)).try_acquire().await?.expect("free");
/// assert!(locks.rw_lock("config").is_err(), "reader-writer locks are not offered");
/// permit.release().await?;
/// # Ok(())
/// # }
/// ```
///
/// # Calls in flight
///
/// - C1: A call is over when its future resolves: the store has applied it, or never will.
///   Do not answer before the command has reached the store (say, by queueing it and returning
///   at once). The manager relies on this to keep a token's calls in order on transports that
///   can reorder them (a pool of connections): it sends a token's release only after every
///   acquire of that token it sent has resolved (or, for one that never answers, a call timeout
///   later), so a release cannot overtake the acquire it cleans up after. The conformance case
///   `cancelled_acquires_leave_no_key` fails when a backend breaks C1.
/// - C2: A dropped future may or may not have been applied; the manager treats it as ambiguous
///   and cleans up with a later call. It never relies on a call being cancelled.
/// - C1 and C2 bind every call of every trait here: the lease calls of every kind, lock sets,
///   batched extends and guarded writes included.
/// - Errors: a [`crate::BackendErrorKind::Timeout`] or other temporary error of `try_acquire`
///   may hide an applied grant (the manager retries with the same token, which A3 makes safe,
///   or releases it). A [`crate::BackendErrorKind::Replication`] error of `try_acquire` means the
///   store granted the lock but the backend gave the grant back (as in WAIT mode): the manager
///   never sends that token again.
#[async_trait]
pub trait LockBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The backend's name and capabilities.
    ///
    /// # Behavior
    /// - N1: Constant for the backend's lifetime, and cheap: no I/O.
    fn info(&self) -> BackendInfo;

    /// Takes the lock at `key` for `token` if it is free: exactly one attempt, one round trip
    /// (the user-facing `LockRequest::try_acquire` is built on it and may retry and wait).
    ///
    /// # Behavior
    /// - A1: When no live lock exists at `key`, stores `token` with an expiry of `ttl` and
    ///   returns [`AcquireOutcome::Acquired`].
    /// - A2: When another token holds the key, returns [`AcquireOutcome::Held`] and changes
    ///   nothing: the holder's token and remaining time stay as they were. `ttl_remaining`, when
    ///   given, is at most the holder's remaining time.
    /// - A3: When `token` already holds the key, resets its expiry to `ttl` and returns
    ///   `Acquired` with the same fencing token as before. This makes a retry after an ambiguous
    ///   failure (a timeout whose command was applied) safe.
    /// - A4: Atomic: of concurrent calls with different tokens on a free key, at most one gets
    ///   `Acquired` (a single store grants exactly one; a [`crate::Quorum`] may split its votes
    ///   so that none wins, and then leaves no partial grant behind).
    /// - A5: The lock expires `ttl` after it was set, measured on the store's clock (never
    ///   sooner; ttls are whole milliseconds, round up), and then any token can take it.
    /// - A6: Keys are exact bytes: locks under different keys (different prefixes, Unicode,
    ///   `{`/`}`, glob characters, up to [`crate::limits::MAX_NAME_LEN`] bytes) never interfere.
    /// - A7: With [`crate::backend::Capabilities::fencing`], `Acquired` carries `Some(fencing)`, strictly
    ///   greater than that of every earlier acquisition of the key, across releases, expiries
    ///   and takeovers. Without it, `fencing` is `None`.
    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError>;

    /// Deletes the lock at `key` if `token` holds it.
    ///
    /// # Behavior
    /// - R1: When `token` holds the key, deletes it and returns [`ReleaseOutcome::Released`];
    ///   the key is free for others at once.
    /// - R2: Otherwise (another holder, expired, never taken, released already) returns
    ///   [`ReleaseOutcome::NotHeld`] and changes nothing. It never deletes another holder's lock.
    /// - R3: With [`crate::backend::Capabilities::release_notify`], a `Released` wakes every
    ///   [`LockBackend::watch_release`] waiting on the key.
    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError>;

    /// Resets the expiry of the lock at `key` to `ttl` if `token` holds it.
    ///
    /// # Behavior
    /// - E1: When `token` holds the key, sets its remaining time to `ttl` (longer or shorter
    ///   than before) and returns [`ExtendOutcome::Extended`].
    /// - E2: Otherwise returns [`ExtendOutcome::NotHeld`] and changes nothing: an expired or
    ///   released lock is never re-created.
    /// - E3: Leaves the holder's fencing token unchanged.
    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError>;

    /// Reads the lock at `key`.
    ///
    /// # Behavior
    /// - I1: Returns `None` when no live lock is at `key`.
    /// - I2: Otherwise returns the holder's token, its remaining time (at most what was set)
    ///   and, with fencing, the holder's fencing token.
    /// - I3: Read-only: changes neither the holder nor its expiry.
    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError>;

    /// Where the locks live, when the backend can tell: a description of the store without
    /// credentials, equal for two backends that talk to the same store (e.g.
    /// `redis://127.0.0.1:6379/0`). A Redlock [`crate::Quorum`] uses it to refuse the same store
    /// twice. Defaults to `None`.
    ///
    /// # Behavior
    /// - N2: Constant for the backend's lifetime, no I/O, and never contains a password.
    fn endpoint(&self) -> Option<String> {
        None
    }

    /// Returns a future that resolves when the lock at `key` may have been released.
    ///
    /// The manager calls this when it finds a lock held, then tries once more and races the
    /// returned future against its backoff timer, so a waiter wakes as soon as the holder lets
    /// go instead of polling.
    ///
    /// # Behavior
    /// - W1: Requires [`crate::backend::Capabilities::release_notify`]; without it, the default
    ///   implementation returns an [`crate::BackendErrorKind::Unsupported`] error.
    /// - W2: The watch is registered when this method returns: a release that happens
    ///   afterwards resolves the future (no lost wake-ups).
    /// - W3: A release resolves every watch on that key.
    /// - W4: The future may resolve spuriously and need not resolve on expiry (the manager
    ///   also wakes at the holder's ttl). Dropping it ends the watch and frees what it used. A
    ///   spurious wake-up costs one look at the key: the manager does not count it as an
    ///   attempt and keeps its retry spacing. Looks after wake-ups are at least
    ///   [`crate::limits::MIN_RETRY_DELAY`] apart; the first one after a quiet spell goes out at once,
    ///   so a real release is not paid for by that spacing. The manager registers its next
    ///   watch before it drops a fired one: a backend that shares one subscription per key
    ///   keeps it across the handoff.
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let _ = key;
        Err(BackendError::unsupported(self.info().name, "watch_release"))
    }

    /// The watch the manager registers when it tries the key right after: like
    /// [`LockBackend::watch_release`], except that a release before that attempt need not
    /// resolve it (the attempt finds the key free, or another holder whose release counts).
    /// The manager calls this, never `watch_release`, when an attempt follows; it calls
    /// `watch_release` where a read (`inspect`) follows instead (a lock set's blocker).
    ///
    /// Defaults to `watch_release`, whose W2 implies W5: a backend author need not write it. A
    /// store that learns from a refused attempt that someone waits (lock-redis leaves a waiter's
    /// mark beside the lock, and its release publishes only when it deletes one, so a release
    /// nobody waits for costs no `PUBLISH`) overrides it to skip what that attempt does anyway.
    ///
    /// # Behavior
    /// - W5: A release that comes after an attempt at `key` made after this returned, and
    ///   refused, resolves the future; W1, W3 and W4 hold as for `watch_release`.
    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.watch_release(key).await
    }

    /// Takes a lease of `lease`'s kind at `key` for `token`: one attempt, one round trip.
    /// [`Lease::Lock`] is [`LockBackend::try_acquire`]; the other kinds' bullets are on their
    /// [`Lease`] variants.
    ///
    /// # Behavior
    /// - K1: Acquiring a kind the backend's [`crate::backend::Capabilities`] does not offer is an
    ///   [`crate::BackendErrorKind::Unsupported`] error, before any I/O (the provided method
    ///   answers so for every kind but a plain lock; the manager checks the capabilities
    ///   first). So is releasing one; the provided `extend_lease`, `inspect_lease` and
    ///   `watch_lease` serve the kinds that are plain locks in the store (a fair lock, a lock
    ///   with metadata, as each documents) with the plain primitives.
    /// - K2: A name holds one kind at a time: asked for as another kind than the one it holds,
    ///   by any lease call (acquire, release, extend, inspect; the plain primitives are the lock
    ///   kind's), the answer is a [`crate::BackendErrorKind::WrongType`] error and nothing changes
    ///   (a batched extend stops at the first such name, the items before it extended, as one
    ///   Redis script does).
    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        match lease {
            Lease::Lock => self.try_acquire(key, token, ttl).await,
            other => Err(BackendError::unsupported(self.info().name, other.kind().operation())),
        }
    }

    /// Ends `token`'s lease of `kind` at `key` (for [`LeaseKind::Fair`], also hands the lock
    /// to the next waiter, and is how a waiter leaves the line). [`LeaseKind::Lock`] is
    /// [`LockBackend::release`]; K1 holds.
    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        match kind {
            LeaseKind::Lock => self.release(key, token).await,
            other => Err(BackendError::unsupported(self.info().name, other.operation())),
        }
    }

    /// Resets the expiry of `token`'s lease of `kind` at `key` to `ttl`. [`LeaseKind::Lock`]
    /// and [`LeaseKind::Fair`] (a fair lock is a plain lock once held) are
    /// [`LockBackend::extend`]; K1 holds.
    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        match kind {
            LeaseKind::Lock | LeaseKind::Fair => self.extend(key, token, ttl).await,
            other => Err(BackendError::unsupported(self.info().name, other.operation())),
        }
    }

    /// Who holds `key` as `kind`: read-only. [`LeaseKind::Lock`], [`LeaseKind::Fair`] and
    /// [`LeaseKind::Metadata`] are [`LockBackend::inspect`] (one holder at most); K1 holds.
    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        match kind {
            LeaseKind::Lock | LeaseKind::Fair | LeaseKind::Metadata => {
                Ok(self.inspect(key).await?.into())
            }
            other => Err(BackendError::unsupported(self.info().name, other.operation())),
        }
    }

    /// Resolves when a lease of `kind` at `key` may have ended; for [`LeaseKind::Fair`], when
    /// the lock is handed to `token` (FW1). [`LeaseKind::Lock`] and [`LeaseKind::Metadata`]
    /// are [`LockBackend::watch_release`]. The promises of `watch_release` (W1 to W4) hold
    /// for every kind; K1 holds.
    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        let _ = token;
        match kind {
            LeaseKind::Lock | LeaseKind::Metadata => self.watch_release(key).await,
            other => Err(BackendError::unsupported(self.info().name, other.operation())),
        }
    }

    /// The metadata of the current holder of `key`, with that holder's token (M5, M6 on
    /// [`Lease::Metadata`]). Defaults to an `Unsupported` error.
    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let _ = key;
        Err(BackendError::unsupported(self.info().name, LeaseKind::Metadata.operation()))
    }

    /// The backend's guarded writes, if it offers them (see [`GuardedWriteBackend`]):
    /// `Some(self)` from a backend that implements that trait too and sets
    /// [`crate::backend::Capabilities::guarded_writes`]. Defaults to `None`, and
    /// [`crate::LockHandle::write`] then fails with [`crate::Error::Unsupported`].
    ///
    /// # Behavior
    /// - N5: Constant for the backend's lifetime, no I/O.
    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        None
    }

    /// Whether `keys` can be taken in one atomic step by [`LockBackend::try_acquire_all`] (on
    /// a Redis Cluster: all in one slot). Defaults to `false`.
    ///
    /// # Behavior
    /// - MA4: No I/O; `try_acquire_all` is only called with sets it accepts, and only on a
    ///   backend whose [`crate::backend::Capabilities::lock_sets`] is set.
    fn can_acquire_together(&self, keys: &[LockKey]) -> bool {
        let _ = keys;
        false
    }

    /// Several locks taken in one atomic step: every key of `keys` for the token at the same
    /// index, if none is held by another token; one round trip. `keys` are distinct, and as
    /// many as `tokens`. Each key is an ordinary lock, with its own token: it is released,
    /// extended and inspected with the plain primitives. [`crate::LockManager::lock_all`] takes
    /// a set the backend accepts ([`LockBackend::can_acquire_together`]) with one call per
    /// attempt, and any other set member by member in a fixed order. Requires
    /// [`crate::backend::Capabilities::lock_sets`]; defaults to an `Unsupported` error.
    ///
    /// # Behavior
    /// - MA1: When no key is held by another token, each key is taken for its token exactly as
    ///   [`LockBackend::try_acquire`] would (A1, A3, A5 to A7: a key already held by its token
    ///   is renewed with the same fence) and the answer is [`MultiAcquireOutcome::Acquired`]
    ///   with each key's fence, in order.
    /// - MA2: When a key is held by another token, the answer is [`MultiAcquireOutcome::Held`]
    ///   with the first such key's index and, when given, at most that key's holder's
    ///   remaining time (as A2), and nothing changes (no key of the set is taken, renewed, or
    ///   given a fence). Fences are per key (A7): keys of one set may get equal fences.
    /// - MA3: Atomic: no other operation on any of the keys comes between the check and the
    ///   grants.
    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        let _ = (keys, tokens, ttl);
        Err(BackendError::unsupported(self.info().name, "lock sets"))
    }

    /// The most items the refresher puts in one [`LockBackend::extend_batch`] call (at least
    /// 1). Defaults to 256.
    ///
    /// # Behavior
    /// - BE4: Constant for the backend's lifetime, no I/O.
    fn max_batch(&self) -> usize {
        256
    }

    /// Many locks extended in one call: what the manager's refresher sends when many
    /// auto-refreshed locks fall due together, so that thousands of held locks cost the store
    /// a few calls a second instead of one per lock. Extends each item as
    /// [`LockBackend::extend`] would, and answers one outcome per item, in the items' order.
    /// Keys are distinct; there are at most [`LockBackend::max_batch`] of them (a larger batch
    /// may be refused with an error of kind [`crate::BackendErrorKind::Other`], not temporary,
    /// or served, never truncated). Loss detection stays per lock: an item answered `NotHeld`
    /// marks only that guard lost. Requires [`crate::backend::Capabilities::batch_extend`] (without it,
    /// the refresher extends each lock on its own); defaults to an `Unsupported` error.
    ///
    /// # Behavior
    /// - BE1: Each item's answer is what `extend(key, token, ttl)` would have answered (E1 to
    ///   E3): `Extended` with the key's ttl reset to that item's own ttl (items' ttls differ)
    ///   when its token holds it, `NotHeld` otherwise, and a key that is not held is never
    ///   created.
    /// - BE2: Exactly one answer per item, in order; an empty batch answers an empty list
    ///   without I/O.
    /// - BE3: An `Err` says nothing about any item: each may or may not have been extended.
    ///   The caller retries the items, which is safe since extending is idempotent for a token.
    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let _ = items;
        Err(BackendError::unsupported(self.info().name, "batched extends"))
    }

    /// Whether `token` holds the live lock at `key` right now, as the store sees it (what
    /// [`crate::LockHandle::verify`] asks). Defaults to [`LockBackend::inspect`] and a
    /// comparison of the holder; override it when the store can answer more cheaply.
    ///
    /// # Behavior
    /// - V1: `true` exactly when a live lock at `key` holds `token`; `false` when it is free,
    ///   expired, or held by another token.
    /// - V2: Read-only, like [`LockBackend::inspect`].
    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        Ok(self.inspect(key).await?.is_some_and(|info| &info.holder == token))
    }
}

/// A type-erased backend, as the manager holds it.
pub type DynLockBackend = dyn LockBackend;

/// The future every [`LockBackend`] method returns, as `#[async_trait]` writes it: boxed,
/// `Send`, borrowing the backend and the arguments.
///
/// A wrapper that only forwards to an inner backend can hand the inner future on instead of
/// boxing it again, by writing the method without `async` (as the `Arc` and `Box` impls do).
pub type BackendFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, BackendError>> + Send + 'a>>;

crate::forward_lock_backend!(impl[T: LockBackend + ?Sized] for Arc<T> => |this| &**this);
crate::forward_lock_backend!(impl[T: LockBackend + ?Sized] for Box<T> => |this| &**this);

/// Fails to compile if `LockBackend` stops being object-safe.
const _: fn(&DynLockBackend) = |_| {};
