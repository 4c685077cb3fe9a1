//! `MemoryBackend`: locks in this process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::backend::{
    AcquireOutcome, BackendInfo, Capabilities, ExtendItem, ExtendOutcome, Lease, LeaseHolders,
    LeaseKind, LockBackend, LockInfo, MultiAcquireOutcome, ReleaseOutcome, ReleaseWatch, RwMode,
};
use crate::error::{BackendError, BackendErrorKind};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::timing::MAX_TTL;
use crate::token::LockToken;

/// Expired entries and idle watch slots are swept after this many writes.
const SWEEP_EVERY: u32 = 4096;

/// Locks held in this process's memory: the full contract, fencing and release notification
/// included, on tokio's clock (so tests under `tokio::time::pause` are deterministic).
///
/// Use it to coordinate tasks of one process (it is as safe as any backend here, with no
/// network in between), in tests, and as the reference the conformance suite is checked
/// against. Clones share the same locks. Fencing tokens come from one counter per backend,
/// so they increase across all keys, and each is at least the system clock in microseconds, so
/// a new backend (after a restart of the process, say) starts above every fence issued before,
/// as Redis's do. Expired locks are removed lazily and by a periodic sweep.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let backend = MemoryBackend::new();
/// let locks = LockManager::new(backend.clone());
/// let guard = locks.try_lock("cache:warmup", Duration::from_secs(1)).await?.expect("free");
/// assert_eq!(backend.live_locks(), 1);
/// drop(guard); // released in the background
/// tokio::task::yield_now().await;
/// assert_eq!(backend.live_locks(), 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryBackend {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// What each name holds: one kind at a time, as a Redis key has one type. A name whose
    /// holds all expired is free for any kind (`State::only` drops it).
    pub(super) names: HashMap<LockKey, Held>,
    /// Each reader-writer lock's waiting writer's mark (see `rwlock`): as in Redis, a key of its
    /// own beside the name, which holds nothing.
    pub(super) marks: HashMap<LockKey, (LockToken, Instant)>,
    /// Data keys written under locks (see `guarded`), and the highest fence recorded for each
    /// lock and data key.
    pub(super) data: HashMap<Vec<u8>, Vec<u8>>,
    pub(super) written: HashMap<(LockKey, Vec<u8>), u64>,
    /// The metadata stored with each lock, and the token it was stored for (see `metadata`).
    pub(super) metadata: HashMap<LockKey, (LockToken, crate::metadata::Metadata)>,
    pub(super) watchers: HashMap<LockKey, Arc<Notify>>,
    /// Each fair lock's queue of waiting tokens (see `fair`).
    pub(super) queues: HashMap<LockKey, std::collections::VecDeque<super::fair::Waiter>>,
    pub(super) fencing: u64,
    writes: u32,
}

/// What a name holds.
#[derive(Debug)]
pub(super) enum Held {
    /// A lock (plain, with metadata, or fair): its holder.
    Lock(Entry),
    /// A semaphore's live permits.
    Permits(Vec<Entry>),
    /// A reader-writer lock's holds.
    Rw(Vec<(RwMode, Entry)>),
}

impl Held {
    fn kind(&self) -> Kind {
        match self {
            Self::Lock(_) => Kind::Lock,
            Self::Permits(_) => Kind::Semaphore,
            Self::Rw(_) => Kind::RwLock,
        }
    }

    /// Drops the holds that expired by `now`; whether any is left.
    fn purge(&mut self, now: Instant) -> bool {
        match self {
            Self::Lock(entry) => entry.expires > now,
            Self::Permits(permits) => {
                permits.retain(|e| e.expires > now);
                !permits.is_empty()
            }
            Self::Rw(holds) => {
                holds.retain(|(_, e)| e.expires > now);
                !holds.is_empty()
            }
        }
    }
}

/// The kinds a name can hold, as `WrongType` errors name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Lock,
    Semaphore,
    RwLock,
}

impl Kind {
    /// What a lease of `kind` is stored as: a fair lock and a lock with metadata are locks.
    fn of(kind: LeaseKind) -> Self {
        match kind {
            LeaseKind::Permit => Self::Semaphore,
            LeaseKind::Rw => Self::RwLock,
            LeaseKind::Lock | LeaseKind::Metadata | LeaseKind::Fair => Self::Lock,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::Semaphore => "semaphore",
            Self::RwLock => "reader-writer lock",
        }
    }
}

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) token: LockToken,
    pub(super) expires: Instant,
    pub(super) fencing: u64,
}

impl Entry {
    /// This hold as `inspect` shows it, at `now`.
    pub(super) fn info(&self, now: Instant) -> LockInfo {
        LockInfo {
            holder: self.token.clone(),
            ttl_remaining: Some(self.expires - now),
            fencing: Some(FencingToken::new(self.fencing)),
        }
    }
}

impl State {
    /// Wakes every watcher of `key` (a release, a hand-over, a withdrawn upgrade).
    pub(super) fn wake(&mut self, key: &LockKey) {
        if let Some(watchers) = self.watchers.remove(key) {
            watchers.notify_waiters();
        }
    }

    /// Refuses to use `key` as `kind` while it holds another kind (a lock, a semaphore's
    /// permits or a reader-writer lock's holds), as Redis refuses a key of another type: one
    /// keyspace, with a [`BackendErrorKind::WrongType`] error that changes nothing. Drops the
    /// name's expired holds first, and the name with the last, so every step after this finds
    /// only live holds of `kind` there, or nothing.
    pub(super) fn only(
        &mut self,
        key: &LockKey,
        kind: Kind,
        now: Instant,
    ) -> Result<(), BackendError> {
        let Some(held) = self.names.get_mut(key) else { return Ok(()) };
        if !held.purge(now) {
            self.names.remove(key);
            return Ok(());
        }
        match held.kind() {
            other if other == kind => Ok(()),
            other => Err(BackendError::new(
                "memory",
                BackendErrorKind::WrongType,
                format!("`{key}` holds a {}, not a {}", other.name(), kind.name()),
            )),
        }
    }

    /// `key`'s lock, if it holds one that lives at `now`.
    pub(super) fn live(&mut self, key: &LockKey, now: Instant) -> Option<&mut Entry> {
        match self.names.get_mut(key) {
            Some(Held::Lock(entry)) if entry.expires > now => Some(entry),
            _ => None,
        }
    }

    /// A new fence: the system clock in microseconds, or one above the last fence issued if
    /// that is not below (as the Lua prelude's `issue` does per key). The one place a fence is
    /// issued for every kind.
    pub(super) fn issue_fence(&mut self) -> u64 {
        self.fencing = (self.fencing + 1).max(wall_clock_micros());
        self.fencing
    }

    /// `try_acquire`, under the state's lock.
    pub(super) fn acquire(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        now: Instant,
    ) -> AcquireOutcome {
        self.wrote(now);
        match self.live(key, now) {
            Some(entry) if entry.token == *token => {
                entry.expires = expiry(now, ttl);
                AcquireOutcome::Acquired { fencing: Some(FencingToken::new(entry.fencing)) }
            }
            Some(entry) => AcquireOutcome::Held { ttl_remaining: Some(entry.expires - now) },
            None => {
                let fencing = self.issue_fence();
                let entry = Entry { token: token.clone(), expires: expiry(now, ttl), fencing };
                self.names.insert(key.clone(), Held::Lock(entry));
                AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fencing)) }
            }
        }
    }

    /// `extend`, under the state's lock.
    pub(super) fn extend(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        now: Instant,
    ) -> ExtendOutcome {
        match self.live(key, now) {
            Some(entry) if entry.token == *token => {
                entry.expires = expiry(now, ttl);
                ExtendOutcome::Extended
            }
            _ => ExtendOutcome::NotHeld,
        }
    }

    /// `release`, under the state's lock; a release also drops the holder's metadata.
    pub(super) fn release(
        &mut self,
        key: &LockKey,
        token: &LockToken,
        now: Instant,
    ) -> ReleaseOutcome {
        if !self.live(key, now).is_some_and(|e| e.token == *token) {
            return ReleaseOutcome::NotHeld;
        }
        self.names.remove(key);
        self.metadata.remove(key);
        self.wake(key);
        ReleaseOutcome::Released
    }

    pub(super) fn wrote(&mut self, now: Instant) {
        self.writes += 1;
        if self.writes >= SWEEP_EVERY {
            self.writes = 0;
            self.names.retain(|_, held| held.purge(now));
            let names = &self.names;
            self.metadata.retain(|key, (token, _)| {
                matches!(names.get(key), Some(Held::Lock(e)) if e.token == *token)
            });
            self.marks.retain(|_, (_, until)| *until > now);
            self.queues.retain(|_, queue| {
                queue.retain(|w| w.expires() > now);
                !queue.is_empty()
            });
            self.watchers.retain(|_, n| Arc::strong_count(n) > 1);
        }
    }
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many locks are held right now.
    pub fn live_locks(&self) -> usize {
        let now = Instant::now();
        let state = self.state();
        state.names.values().filter(|h| matches!(h, Held::Lock(e) if e.expires > now)).count()
    }

    /// The state, locked, and the time now, once `key` was checked to hold nothing but what
    /// `kind` is stored as (see [`State::only`]): where every lease call starts.
    fn open(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<(MutexGuard<'_, State>, Instant), BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        state.only(key, Kind::of(kind), now)?;
        Ok((state, now))
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the lock; recover the data if one ever did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock in microseconds since the Unix epoch (0 if it is set before 1970).
pub(super) fn wall_clock_micros() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

pub(super) fn expiry(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl.min(MAX_TTL)).unwrap_or(now)
}

#[async_trait]
impl LockBackend for MemoryBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo::new("memory", Capabilities::all())
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let (mut state, now) = self.open(key, LeaseKind::Lock)?;
        Ok(state.acquire(key, token, ttl, now))
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let (mut state, now) = self.open(key, LeaseKind::Lock)?;
        Ok(state.release(key, token, now))
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (mut state, now) = self.open(key, LeaseKind::Lock)?;
        Ok(state.extend(key, token, ttl, now))
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let (mut state, now) = self.open(key, LeaseKind::Lock)?;
        Ok(state.live(key, now).map(|e| e.info(now)))
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        state.wrote(now);
        let notify =
            state.watchers.entry(key.clone()).or_insert_with(|| Arc::new(Notify::new())).clone();
        let mut watch = Box::pin(notify.notified_owned());
        // Registered before the state lock is released, so no release can slip between.
        watch.as_mut().enable();
        Ok(watch)
    }

    /// The one acquire of every kind, the kind an argument; so are the lease calls below.
    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let (mut state, now) = self.open(key, lease.kind())?;
        Ok(match lease {
            Lease::Lock => state.acquire(key, token, ttl, now),
            Lease::Metadata(metadata) => {
                state.acquire_with_metadata(key, token, ttl, metadata, now)
            }
            Lease::Permit { limit } => state.acquire_permit(key, token, limit, ttl, now),
            Lease::Rw(mode) => state.acquire_rw(key, token, mode, ttl, now),
            Lease::Fair { queue_ttl } => state.acquire_fair(key, token, ttl, queue_ttl, now),
        })
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        let (mut state, now) = self.open(key, kind)?;
        Ok(match kind {
            LeaseKind::Lock | LeaseKind::Metadata => state.release(key, token, now),
            LeaseKind::Permit => state.release_permit(key, token),
            LeaseKind::Rw => state.release_rw(key, token, now),
            LeaseKind::Fair => state.release_fair(key, token, now),
        })
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (mut state, now) = self.open(key, kind)?;
        Ok(match kind {
            // The metadata lives while the lock it was stored with does.
            LeaseKind::Lock | LeaseKind::Metadata | LeaseKind::Fair => {
                state.extend(key, token, ttl, now)
            }
            LeaseKind::Permit => state.extend_permit(key, token, ttl, now),
            LeaseKind::Rw => state.extend_rw(key, token, ttl, now),
        })
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        let (mut state, now) = self.open(key, kind)?;
        Ok(match kind {
            LeaseKind::Lock | LeaseKind::Metadata | LeaseKind::Fair => {
                state.live(key, now).map(|e| e.info(now)).into()
            }
            LeaseKind::Permit => state.permit_holders(key, now).into_iter().collect(),
            LeaseKind::Rw => state.rw_holders(key, now),
        })
    }

    /// Releases and handoffs of every kind wake the key's one set of watchers: a fair waiter
    /// whose turn it is not looks once for nothing (W4 allows it).
    async fn watch_lease(
        &self,
        key: &LockKey,
        _token: &LockToken,
        _kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        self.watch_release(key).await
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let (mut state, now) = self.open(key, LeaseKind::Lock)?;
        Ok(state.holder_metadata(key, now))
    }

    fn guarded_writes(&self) -> Option<&dyn crate::backend::GuardedWriteBackend> {
        Some(self)
    }

    /// Any set: one process, one mutex.
    fn can_acquire_together(&self, _keys: &[LockKey]) -> bool {
        true
    }

    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        self.take_all(keys, tokens, ttl)
    }

    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        self.extend_each(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> LockKey {
        LockKey::with_default_prefix(format!("k{i}")).expect("valid")
    }

    /// A lock expires exactly at its ttl, for every view of it.
    #[tokio::test(start_paused = true)]
    async fn a_lock_is_gone_exactly_at_its_ttl() {
        let backend = MemoryBackend::new();
        let token = LockToken::generate().expect("entropy");
        backend.try_acquire(&key(0), &token, Duration::from_millis(100)).await.expect("ok");
        tokio::time::advance(Duration::from_millis(99)).await;
        assert_eq!(backend.live_locks(), 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(backend.live_locks(), 0);
        // A guarded write reads the lock without a lease call before it: refused at the ttl too.
        let writes: &dyn crate::backend::GuardedWriteBackend = &backend;
        let write = writes.write_if_held(&key(0), &token, b"data", b"late", None).await;
        assert_eq!(write.expect("ok"), crate::backend::WriteOutcome::NotHeld);
        assert_eq!(backend.inspect(&key(0)).await.expect("ok"), None);
    }

    /// K2 at the boundary: a name whose permits are live is refused as a lock, and is free for
    /// a lock at the very instant its last permit expires.
    #[tokio::test(start_paused = true)]
    async fn a_name_is_free_for_a_lock_the_instant_its_permits_expire() {
        let backend = MemoryBackend::new();
        let token = LockToken::generate().expect("entropy");
        let ttl = Duration::from_millis(100);
        let permit = Lease::Permit { limit: 2 };
        backend.acquire_lease(&key(20), &token, permit, ttl).await.expect("a permit");
        tokio::time::advance(Duration::from_millis(99)).await;
        match backend.try_acquire(&key(20), &token, ttl).await {
            Err(e) => assert_eq!(e.kind(), BackendErrorKind::WrongType, "{e}"),
            Ok(outcome) => panic!("a lock on a name with a live permit: {outcome:?}"),
        }
        tokio::time::advance(Duration::from_millis(1)).await;
        let outcome = backend.try_acquire(&key(20), &token, ttl).await.expect("free");
        assert!(matches!(outcome, AcquireOutcome::Acquired { .. }), "{outcome:?}");
    }

    /// A semaphore's list goes with its last permit, asking about a name with no permits
    /// (inspect, extend, release) leaves nothing behind, and a name whose holds expired goes at
    /// the next call on it: nothing waits for the sweep.
    #[tokio::test(start_paused = true)]
    async fn no_empty_semaphore_is_kept() {
        let backend = MemoryBackend::new();
        let (a, b) =
            (LockToken::generate().expect("entropy"), LockToken::generate().expect("entropy"));
        let (ttl, permit) = (Duration::from_secs(1), Lease::Permit { limit: 2 });
        for token in [&a, &b] {
            backend.acquire_lease(&key(30), token, permit, ttl).await.expect("a permit");
        }
        for token in [&a, &b] {
            backend.release_lease(&key(30), token, LeaseKind::Permit).await.expect("released");
        }
        let kept = |b: &MemoryBackend| b.state().names.len();
        assert_eq!(kept(&backend), 0, "the last release kept an empty semaphore");
        let unused = key(31);
        backend.inspect_lease(&unused, LeaseKind::Permit).await.expect("inspected");
        assert_eq!(kept(&backend), 0, "an inspect left an empty semaphore");
        backend.extend_lease(&unused, &a, LeaseKind::Permit, ttl).await.expect("extend");
        assert_eq!(kept(&backend), 0, "an extend left an empty semaphore");
        backend.release_lease(&unused, &a, LeaseKind::Permit).await.expect("release");
        assert_eq!(kept(&backend), 0, "a release left an empty semaphore");
        // A name whose hold expired is dropped by the next call on it, before any sweep.
        backend.acquire_lease(&unused, &a, permit, ttl).await.expect("a permit");
        tokio::time::advance(ttl).await;
        backend.inspect(&unused).await.expect("free for a lock");
        assert_eq!(kept(&backend), 0, "a call on a name whose permit expired kept the name");
    }

    /// A fence is one above the last even when the clock is behind it (grants within one
    /// microsecond, or a clock that stepped back), for every kind that grants one.
    #[tokio::test]
    async fn fences_rise_when_the_clock_is_behind() {
        let leases = [Lease::Lock, Lease::Permit { limit: 2 }, Lease::Rw(RwMode::Read)];
        for (i, lease) in leases.into_iter().enumerate() {
            let backend = MemoryBackend::new();
            let ahead = wall_clock_micros() + 3_600_000_000;
            backend.state().fencing = ahead;
            let (token, what, ttl) = (
                LockToken::generate().expect("entropy"),
                format!("{lease:?}"),
                Duration::from_secs(1),
            );
            let outcome = backend.acquire_lease(&key(10 + i as u32), &token, lease, ttl).await;
            assert_eq!(
                outcome.ok(),
                Some(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(ahead + 1)) }),
                "{what}"
            );
        }
    }

    /// Expired locks and watch slots nobody waits on are swept every `SWEEP_EVERY` writes, so
    /// keys used once do not pile up, while live locks and watched slots stay.
    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_swept() {
        let backend = MemoryBackend::new();
        let token = LockToken::generate().expect("entropy");
        let live = key(u32::MAX);
        backend.try_acquire(&live, &token, Duration::from_secs(3600)).await.expect("ok");
        let watched = backend.watch_release(&live).await.expect("watch");
        drop(backend.watch_release(&key(u32::MAX - 1)).await.expect("watch"));
        // Three writes so far; one more after the loop makes `SWEEP_EVERY`.
        for i in 0..SWEEP_EVERY - 4 {
            backend.try_acquire(&key(i), &token, Duration::from_millis(1)).await.expect("ok");
        }
        // Exactly their ttl later: expired (a lock lives while its expiry is after now).
        tokio::time::advance(Duration::from_millis(1)).await;
        let sizes = |b: &MemoryBackend| {
            let state = b.state();
            (state.names.len(), state.watchers.len())
        };
        assert_eq!(sizes(&backend), (SWEEP_EVERY as usize - 3, 2), "nothing swept yet");
        backend.try_acquire(&key(0), &token, Duration::from_millis(1)).await.expect("ok");
        // Left: the live lock, the lock this last write took, and the watched slot.
        assert_eq!(sizes(&backend), (2, 1), "expired locks or an unwatched slot were kept");
        assert_eq!(backend.live_locks(), 2);
        // The slot kept is the watched one: releasing the live lock still wakes its waiter.
        backend.release(&live, &token).await.expect("ok");
        let woken = tokio::time::timeout(Duration::from_secs(1), watched).await;
        assert!(woken.is_ok(), "the sweep dropped a slot someone was waiting on");
    }

    /// Fair waiters whose place has lapsed are swept with the rest, exactly at its expiry,
    /// while a waiter whose place lives stays in line and is handed the lock.
    #[tokio::test(start_paused = true)]
    async fn lapsed_fair_waiters_are_swept() {
        let backend = MemoryBackend::new();
        let token = || LockToken::generate().expect("entropy");
        let (holder, live, lapsed) = (token(), token(), token());
        let (kept, gone, long) = (key(u32::MAX), key(u32::MAX - 1), Duration::from_secs(3600));
        let fair = |queue_ttl| Lease::Fair { queue_ttl };
        for k in [&kept, &gone] {
            backend.acquire_lease(k, &holder, fair(long), long).await.expect("free");
        }
        // Two writes so far (queuing is not one); one more after the loop makes `SWEEP_EVERY`.
        backend.acquire_lease(&kept, &live, fair(long), long).await.expect("queued");
        let short = Duration::from_millis(1);
        backend.acquire_lease(&gone, &lapsed, fair(short), long).await.expect("queued");
        for i in 0..SWEEP_EVERY - 3 {
            backend.try_acquire(&key(i), &holder, long).await.expect("ok");
        }
        tokio::time::advance(short).await;
        let queued = |b: &MemoryBackend| {
            let state = b.state();
            state.queues.keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(queued(&backend).len(), 2, "nothing swept yet");
        backend.try_acquire(&key(0), &holder, long).await.expect("ok");
        assert_eq!(queued(&backend), vec![kept.clone()], "a lapsed place kept or a live one swept");
        backend.release_lease(&kept, &holder, LeaseKind::Fair).await.expect("ok");
        let next = backend.inspect(&kept).await.expect("ok").map(|info| info.holder);
        assert_eq!(next, Some(live), "the waiter kept in line was not handed the lock");
    }
}
