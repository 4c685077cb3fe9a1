//! The suite must reject broken backends. Each mutant below is a small in-memory backend with
//! one classic bug; the case that guards against that bug must fail on it, and the same backend
//! without a bug must pass everything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use lock_core::{
    BackendError, FencingToken, LockBackend, LockKey, LockToken, Metadata, RwMode,
    backend::AcquireOutcome, backend::BackendInfo, backend::Capabilities, backend::ExtendItem,
    backend::ExtendOutcome, backend::GuardedWriteBackend, backend::Lease, backend::LeaseHolder,
    backend::LeaseHolders, backend::LeaseKind, backend::LockInfo, backend::MultiAcquireOutcome,
    backend::ReleaseOutcome, backend::ReleaseWatch, backend::WriteOutcome, backend::async_trait,
};
use lock_testkit::{CaseOutcome, SuiteOptions, run_suite};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    None,
    ReleaseIgnoresToken,
    ExtendIgnoresToken,
    ExtendResurrects,
    NonAtomicAcquire,
    SameTokenRefused,
    SameTokenNewFence,
    FencingPerEntry,
    ClaimsFencingButOmits,
    NeverExpires,
    ExpiresAtHalfTtl,
    HeldResetsHolderTtl,
    InspectExtends,
    LazyWatch,
    WatchNeverFires,
    /// `watch_before_attempt` registers nothing (W5): a waiter sleeps through the release.
    AttemptWatchNeverFires,
    CaseInsensitiveKeys,
    TruncatedKeys,
    ExpiresAt80Percent,
    LossyUtf8Keys,
    KeysCutAtNul,
    /// Not a bug: W4 allows a watch to wake its waiter for nothing.
    SpuriousWatch,
    /// A semaphore that lets one holder more in than its limit.
    SemOverLimit,
    /// Grants permits while its capabilities say it offers none.
    SemUnadvertised,
    /// Permits that never expire.
    SemNeverExpires,
    /// A stranger's release frees someone's permit.
    SemReleaseIgnoresToken,
    /// Counts the permits, then adds one: concurrent acquires overshoot the limit.
    SemNonAtomic,
    /// A holder asking again gets a second permit.
    SemRenewTakesAnother,
    /// Extending an expired permit brings it back.
    SemExtendResurrects,
    /// A reader let in beside a writer.
    RwReaderBesideWriter,
    /// A writer let in beside readers.
    RwWriterBesideReaders,
    /// No writer preference: a waiting writer leaves no mark.
    RwNoWriterPreference,
    /// Two upgradeable readers at once.
    RwTwoUpgradeable,
    /// A writer's mark survives its release.
    RwMarkOutlivesRelease,
    /// Any writer marks its wait, even over an upgradeable read, and upgrades wait behind it.
    RwUpgradeBehindWriters,
    /// An upgrade given up (its read asked again) keeps its waiting mark.
    RwUpgradeMarkOutlivesItsGivingUp,
    /// `holds` answers true for any token of a held key.
    HoldsIgnoresToken,
    /// A guarded write that does not check the holder.
    WriteIgnoresHolder,
    /// A guarded write that resets the lock's ttl.
    WriteResetsTheTtl,
    /// A fenced write that ignores the fence.
    WriteIgnoresFence,
    /// Fences compared as floating-point numbers (as Lua's `tonumber` would): exact only up to
    /// 2^53.
    WriteFencesAsFloats,
    /// Fences compared as text (as a script comparing the strings would).
    WriteFencesAsText,
    /// The recorded fences are forgotten when the lock is released.
    WrittenFencesDieWithTheLock,
    /// Every name of a lock gets the same data key.
    DataKeyIgnoresName,
    /// Data keys are the lock key, `:` and the name: lock `a` + `b:c` is lock `a:b` + `c`.
    DataKeyConcatenated,
    /// Metadata kept after the release, and shown whoever holds the lock.
    MetadataOutlivesRelease,
    /// Metadata that keeps its first expiry when the lock is extended.
    MetadataNotExtended,
    /// Tokens compared on their first 16 bytes only.
    TokenPrefixOnly,
    /// The same token taking its expired lock back gets its old fence again.
    SameTokenExpiredSameFence,
    /// A same-token re-acquire with metadata issues a new fence.
    MetadataReacquireNewFence,
    /// A refused contender's metadata replaces the holder's.
    MetadataWrittenWhenRefused,
    /// A refused set names the last held key, not the first.
    MultiLastHeld,
    /// A set's fences come back in reverse order.
    MultiFencesReversed,
    /// A set taken key by key: the keys before the held one stay granted.
    MultiPartialGrant,
    /// A set checked, then granted after a pause: racing sets both win.
    MultiCheckThenGrant,
    /// A batched extend that answers `Extended` for every item, held or not.
    BatchClaimsEveryLock,
    /// A batched extend whose answers come back in reverse order.
    BatchAnswersReversed,
    /// A batched extend that creates the locks it does not find.
    BatchResurrects,
    /// A batched extend that gives every item the first item's ttl.
    BatchFirstTtl,
    /// A batched extend that leaves out its last answer.
    BatchDropsTheLast,
    /// `Held` reports the ttl the holder set, not the time it has left.
    HeldReportsTheTtlSet,
    /// Not a bug: `Held` reports no time left (A2 allows it, as a store with a coarse clock
    /// might).
    NoTimeLeft,
    /// Prefix and name stored apart: prefix `a` + `bc` and prefix `ab` + `c` are two locks.
    PrefixAndNameApart,
    /// A name holds a lock, permits and reader-writer holds side by side.
    KindsApart,
    /// A fair lock whose newest waiter goes first.
    FairLifo,
    /// Places in a fair lock's line that never lapse.
    FairPlacesNeverLapse,
    /// A fair release that frees the lock without handing it over.
    FairNoHandoff,
}

#[derive(Debug)]
struct Entry {
    token: LockToken,
    expires: Instant,
    ttl: Duration,
    fencing: u64,
}

#[derive(Debug, Default)]
struct State {
    locks: HashMap<Vec<u8>, Entry>,
    permits: HashMap<Vec<u8>, Vec<Entry>>,
    rw: HashMap<Vec<u8>, RwEntry>,
    data: HashMap<Vec<u8>, Vec<u8>>,
    written: HashMap<(Vec<u8>, Vec<u8>), u64>,
    metadata: HashMap<Vec<u8>, (LockToken, Metadata, Instant)>,
    fence: u64,
    watchers: HashMap<Vec<u8>, Arc<Notify>>,
    /// The last lock that expired at each key (for `SameTokenExpiredSameFence`).
    expired: HashMap<Vec<u8>, Entry>,
    /// Each fair lock's line: token, when its place lapses, the ttl a handoff grants.
    queues: HashMap<Vec<u8>, Vec<(LockToken, Instant, Duration)>>,
}

#[derive(Debug)]
struct Mutant {
    bug: Bug,
    state: Mutex<State>,
}

impl Mutant {
    fn new(bug: Bug) -> Self {
        Self { bug, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn map_key(&self, key: &LockKey) -> Vec<u8> {
        match self.bug {
            Bug::CaseInsensitiveKeys => key.as_bytes().to_ascii_lowercase(),
            Bug::TruncatedKeys => key.as_bytes()[..key.as_bytes().len().min(200)].to_vec(),
            Bug::LossyUtf8Keys => String::from_utf8_lossy(key.as_bytes()).into_owned().into_bytes(),
            Bug::KeysCutAtNul => key.as_bytes().split(|b| *b == 0).next().unwrap_or(&[]).to_vec(),
            Bug::PrefixAndNameApart => [key.prefix(), b"\0", key.name()].concat(),
            _ => key.as_bytes().to_vec(),
        }
    }

    fn expiry(&self, ttl: Duration) -> Instant {
        let now = Instant::now();
        match self.bug {
            Bug::NeverExpires | Bug::SemNeverExpires => now + ttl * 100,
            Bug::ExpiresAtHalfTtl => now + ttl / 2,
            Bug::ExpiresAt80Percent => now + ttl.mul_f64(0.8),
            _ => now + ttl,
        }
    }

    fn fencing(&self, value: u64) -> Option<FencingToken> {
        (self.bug != Bug::ClaimsFencingButOmits).then_some(FencingToken::new(value))
    }

    /// Whether two tokens are the same holder's (compared whole, unless the bug looks at the
    /// first 16 bytes only).
    fn same(&self, a: &LockToken, b: &LockToken) -> bool {
        match self.bug {
            Bug::TokenPrefixOnly => {
                let (a, b) = (a.as_bytes(), b.as_bytes());
                a[..a.len().min(16)] == b[..b.len().min(16)]
            }
            _ => a == b,
        }
    }

    /// The acquire itself, on the locked state (one step, as a script would run it).
    fn grant(
        &self,
        state: &mut State,
        k: Vec<u8>,
        token: &LockToken,
        ttl: Duration,
    ) -> AcquireOutcome {
        let next_fence = state.fence + 1;
        let bug = self.bug;
        let outcome = match live(state, &k) {
            Some(e) if self.same(&e.token, token) && bug != Bug::NonAtomicAcquire => {
                if bug == Bug::SameTokenRefused {
                    return AcquireOutcome::Held {
                        ttl_remaining: Some(e.expires - Instant::now()),
                    };
                }
                if bug == Bug::SameTokenNewFence {
                    e.fencing = next_fence;
                }
                e.expires = self.expiry(ttl);
                e.ttl = ttl;
                AcquireOutcome::Acquired { fencing: self.fencing(e.fencing) }
            }
            Some(e) if bug != Bug::NonAtomicAcquire => {
                if bug == Bug::HeldResetsHolderTtl {
                    e.expires = self.expiry(ttl);
                }
                let left = match bug {
                    Bug::HeldReportsTheTtlSet => e.ttl,
                    Bug::NoTimeLeft => Duration::ZERO,
                    _ => e.expires.saturating_duration_since(Instant::now()),
                };
                AcquireOutcome::Held { ttl_remaining: Some(left) }
            }
            _ => {
                let reused = state.expired.get(&k).filter(|e| e.token == *token).map(|e| e.fencing);
                let fencing = match (bug, reused) {
                    (Bug::FencingPerEntry, _) => 1,
                    (Bug::SameTokenExpiredSameFence, Some(old)) => old,
                    _ => next_fence,
                };
                let entry = Entry { token: token.clone(), expires: self.expiry(ttl), ttl, fencing };
                state.locks.insert(k, entry);
                state.fence = next_fence;
                AcquireOutcome::Acquired { fencing: self.fencing(fencing) }
            }
        };
        if bug == Bug::SameTokenNewFence && matches!(outcome, AcquireOutcome::Acquired { .. }) {
            state.fence = next_fence;
        }
        outcome
    }

    /// The release itself, on the locked state.
    fn free(&self, state: &mut State, k: &[u8], token: &LockToken) -> ReleaseOutcome {
        let ours = match live(state, k) {
            Some(e) => self.same(&e.token, token) || self.bug == Bug::ReleaseIgnoresToken,
            None => false,
        };
        if !ours {
            return ReleaseOutcome::NotHeld;
        }
        state.locks.remove(k);
        if self.bug == Bug::WrittenFencesDieWithTheLock {
            state.written.retain(|(lock, _), _| lock.as_slice() != k);
        }
        if let Some(n) = state.watchers.remove(k) {
            n.notify_waiters();
        }
        ReleaseOutcome::Released
    }
}

fn live<'a>(state: &'a mut State, key: &[u8]) -> Option<&'a mut Entry> {
    if state.locks.get(key).is_some_and(|e| e.expires <= Instant::now())
        && let Some(gone) = state.locks.remove(key)
    {
        state.expired.insert(key.to_vec(), gone);
    }
    state.locks.get_mut(key)
}

#[async_trait]
impl LockBackend for Mutant {
    fn info(&self) -> BackendInfo {
        let unadvertised = self.bug == Bug::SemUnadvertised;
        BackendInfo::new("mutant", Capabilities::all().with_lease(LeaseKind::Permit, !unadvertised))
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Lock)?;
        if self.bug == Bug::NonAtomicAcquire {
            let free = live(&mut self.state(), &k).is_none();
            if !free {
                return Ok(AcquireOutcome::Held { ttl_remaining: None });
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(self.grant(&mut self.state(), k, token, ttl))
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Lock)?;
        Ok(self.free(&mut self.state(), &k, token))
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Lock)?;
        let expires = self.expiry(ttl);
        let mut state = self.state();
        match live(&mut state, &k) {
            Some(e) if e.token == *token || self.bug == Bug::ExtendIgnoresToken => {
                e.expires = expires;
                e.ttl = ttl;
                Ok(ExtendOutcome::Extended)
            }
            None if self.bug == Bug::ExtendResurrects => {
                state.fence += 1;
                let fencing = state.fence;
                state.locks.insert(k, Entry { token: token.clone(), expires, ttl, fencing });
                Ok(ExtendOutcome::Extended)
            }
            _ => Ok(ExtendOutcome::NotHeld),
        }
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Lock)?;
        let mut state = self.state();
        let bug = self.bug;
        Ok(live(&mut state, &k).map(|e| {
            if bug == Bug::InspectExtends {
                e.expires = Instant::now() + e.ttl;
            }
            LockInfo {
                holder: e.token.clone(),
                ttl_remaining: Some(e.expires.saturating_duration_since(Instant::now())),
                fencing: Some(FencingToken::new(e.fencing)),
            }
        }))
    }

    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        match lease {
            Lease::Metadata(metadata) => {
                self.try_acquire_with_metadata(key, token, ttl, metadata).await
            }
            Lease::Permit { limit } => self.try_acquire_permit(key, token, limit, ttl).await,
            Lease::Rw(mode) => self.try_acquire_rw(key, token, mode, ttl).await,
            Lease::Fair { queue_ttl } => self.try_acquire_fair(key, token, ttl, queue_ttl).await,
            _ => self.try_acquire(key, token, ttl).await,
        }
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        match kind {
            LeaseKind::Metadata => self.release_with_metadata(key, token).await,
            LeaseKind::Permit => self.release_permit(key, token).await,
            LeaseKind::Rw => self.release_rw(key, token).await,
            LeaseKind::Fair => self.release_fair(key, token).await,
            _ => self.release(key, token).await,
        }
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        match kind {
            LeaseKind::Metadata => self.extend_with_metadata(key, token, ttl).await,
            LeaseKind::Permit => self.extend_permit(key, token, ttl).await,
            LeaseKind::Rw => self.extend_rw(key, token, ttl).await,
            _ => self.extend(key, token, ttl).await,
        }
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        match kind {
            LeaseKind::Permit => Ok(self.inspect_permits(key).await?.into_iter().collect()),
            LeaseKind::Rw => self.inspect_rw(key).await,
            _ => Ok(self.inspect(key).await?.into()),
        }
    }

    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        match kind {
            LeaseKind::Fair => self.watch_turn(key, token).await,
            LeaseKind::Permit => self.watch_permits(key).await,
            LeaseKind::Rw => self.watch_rw(key).await,
            _ => self.watch_release(key).await,
        }
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        self.stored_metadata(key).await
    }

    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        Some(self)
    }

    fn can_acquire_together(&self, keys: &[LockKey]) -> bool {
        self.together(keys)
    }

    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        self.take_all(keys, tokens, ttl).await
    }

    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        self.extend_each(items).await
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        let k = self.map_key(key);
        let mut state = self.state();
        let ignore = self.bug == Bug::HoldsIgnoresToken;
        Ok(live(&mut state, &k).is_some_and(|e| ignore || e.token == *token))
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let k = self.map_key(key);
        let notify =
            self.state().watchers.entry(k).or_insert_with(|| Arc::new(Notify::new())).clone();
        match self.bug {
            Bug::WatchNeverFires => Ok(Box::pin(std::future::pending())),
            Bug::SpuriousWatch => Ok(Box::pin(std::future::ready(()))),
            Bug::LazyWatch => Ok(Box::pin(async move { notify.notified().await })),
            _ => {
                let mut watch = Box::pin(notify.notified_owned());
                watch.as_mut().enable();
                Ok(watch)
            }
        }
    }

    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match self.bug {
            Bug::AttemptWatchNeverFires => Ok(Box::pin(std::future::pending())),
            _ => self.watch_release(key).await,
        }
    }
}

/// The live permits at `key`, expired ones dropped.
fn live_permits<'a>(state: &'a mut State, key: &[u8]) -> &'a mut Vec<Entry> {
    let permits = state.permits.entry(key.to_vec()).or_default();
    permits.retain(|e| e.expires > Instant::now());
    permits
}

impl Mutant {
    /// `k`'s line, lapsed places dropped (unless places never lapse).
    fn line<'a>(
        &self,
        state: &'a mut State,
        k: &[u8],
    ) -> &'a mut Vec<(LockToken, Instant, Duration)> {
        let line = state.queues.entry(k.to_vec()).or_default();
        if self.bug != Bug::FairPlacesNeverLapse {
            line.retain(|w| w.1 > Instant::now());
        }
        line
    }

    fn leave_line(&self, state: &mut State, k: &[u8], token: &LockToken) {
        self.line(state, k).retain(|w| w.0 != *token);
    }

    /// Grants the free lock to the first in line, in the same step as what freed it.
    fn hand_over(&self, state: &mut State, k: &[u8]) {
        let line = self.line(state, k);
        if !line.is_empty() {
            let (token, _, ttl) = line.remove(0);
            self.grant(state, k.to_vec(), &token, ttl);
        }
    }
}

impl Mutant {
    async fn try_acquire_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        queue_ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let k = self.map_key(key);
        let mut state = self.state();
        let holder = live(&mut state, &k).map(|e| e.token.clone());
        let first = self.line(&mut state, &k).first().map(|w| w.0.clone());
        match holder {
            Some(holder) if holder == *token => {
                // A holder is never in line.
                self.leave_line(&mut state, &k, token);
                return Ok(self.grant(&mut state, k, token, ttl));
            }
            Some(_) => {}
            None if first.as_ref().is_none_or(|f| f == token) => {
                self.leave_line(&mut state, &k, token);
                return Ok(self.grant(&mut state, k, token, ttl));
            }
            None => self.hand_over(&mut state, &k),
        }
        let place = (Instant::now() + queue_ttl, ttl.min(queue_ttl));
        let line = self.line(&mut state, &k);
        match line.iter_mut().find(|w| w.0 == *token) {
            Some(w) => (w.1, w.2) = place,
            None if self.bug == Bug::FairLifo => line.insert(0, (token.clone(), place.0, place.1)),
            None => line.push((token.clone(), place.0, place.1)),
        }
        Ok(AcquireOutcome::Held { ttl_remaining: None })
    }

    async fn release_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Lock)?;
        let mut state = self.state();
        self.leave_line(&mut state, &k, token);
        let outcome = self.free(&mut state, &k, token);
        if outcome == ReleaseOutcome::Released && self.bug != Bug::FairNoHandoff {
            self.hand_over(&mut state, &k);
        }
        Ok(outcome)
    }

    async fn watch_turn(
        &self,
        key: &LockKey,
        _token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError> {
        self.watch_release(key).await
    }
}

impl Mutant {
    async fn extend_each(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let mut answers = Vec::with_capacity(items.len());
        for item in items {
            let ttl = match self.bug {
                Bug::BatchFirstTtl => items[0].ttl,
                _ => item.ttl,
            };
            let answer = self.extend(item.key, item.token, ttl).await?;
            answers.push(match self.bug {
                Bug::BatchClaimsEveryLock => ExtendOutcome::Extended,
                Bug::BatchResurrects if answer == ExtendOutcome::NotHeld => {
                    let expires = self.expiry(item.ttl);
                    let mut state = self.state();
                    state.fence += 1;
                    let entry = Entry {
                        token: item.token.clone(),
                        expires,
                        ttl: item.ttl,
                        fencing: state.fence,
                    };
                    state.locks.insert(self.map_key(item.key), entry);
                    ExtendOutcome::Extended
                }
                _ => answer,
            });
        }
        match self.bug {
            Bug::BatchAnswersReversed => answers.reverse(),
            Bug::BatchDropsTheLast => {
                answers.pop();
            }
            _ => {}
        }
        Ok(answers)
    }
}

impl Mutant {
    fn together(&self, _keys: &[LockKey]) -> bool {
        true
    }

    async fn take_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        let bug = self.bug;
        let held_at = |state: &mut State| {
            let mut held = keys.iter().zip(tokens).enumerate().filter(|(_, (key, token))| {
                live(state, &self.map_key(key)).is_some_and(|e| e.token != **token)
            });
            match bug {
                Bug::MultiLastHeld => held.last().map(|(i, _)| i),
                _ => held.next().map(|(i, _)| i),
            }
        };
        if bug != Bug::MultiPartialGrant {
            let found = held_at(&mut self.state());
            if let Some(index) = found {
                return Ok(MultiAcquireOutcome::Held { index, ttl_remaining: None });
            }
            if bug == Bug::MultiCheckThenGrant {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let mut fencing = Vec::new();
        for (index, (key, token)) in keys.iter().zip(tokens).enumerate() {
            match self.try_acquire(key, token, ttl).await? {
                AcquireOutcome::Acquired { fencing: fence } => fencing.push(fence),
                AcquireOutcome::Held { ttl_remaining } if bug != Bug::MultiCheckThenGrant => {
                    return Ok(MultiAcquireOutcome::Held { index, ttl_remaining });
                }
                // The check said free: the grant goes on over the other holder.
                _ => {
                    let k = self.map_key(key);
                    let mut state = self.state();
                    state.fence += 1;
                    let entry = Entry {
                        token: token.clone(),
                        expires: Instant::now() + ttl,
                        ttl,
                        fencing: state.fence,
                    };
                    fencing.push(Some(FencingToken::new(state.fence)));
                    state.locks.insert(k, entry);
                }
            }
        }
        if bug == Bug::MultiFencesReversed {
            fencing.reverse();
        }
        Ok(MultiAcquireOutcome::Acquired { fencing })
    }
}

impl Mutant {
    async fn try_acquire_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
    ) -> Result<AcquireOutcome, BackendError> {
        let again = live(&mut self.state(), &self.map_key(key)).is_some_and(|e| e.token == *token);
        let mut outcome = self.try_acquire(key, token, ttl).await?;
        let granted = matches!(outcome, AcquireOutcome::Acquired { .. });
        if granted && again && self.bug == Bug::MetadataReacquireNewFence {
            let mut state = self.state();
            state.fence += 1;
            let fence = state.fence;
            if let Some(e) = live(&mut state, &self.map_key(key)) {
                e.fencing = fence;
            }
            outcome = AcquireOutcome::Acquired { fencing: Some(FencingToken::new(fence)) };
        }
        if granted || self.bug == Bug::MetadataWrittenWhenRefused {
            let entry = (token.clone(), metadata.clone(), Instant::now() + ttl);
            self.state().metadata.insert(self.map_key(key), entry);
        }
        Ok(outcome)
    }

    async fn extend_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let outcome = self.extend(key, token, ttl).await?;
        if outcome == ExtendOutcome::Extended
            && self.bug != Bug::MetadataNotExtended
            && let Some(entry) = self.state().metadata.get_mut(&self.map_key(key))
        {
            entry.2 = Instant::now() + ttl;
        }
        Ok(outcome)
    }

    async fn release_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let outcome = self.release(key, token).await?;
        if outcome == ReleaseOutcome::Released && self.bug != Bug::MetadataOutlivesRelease {
            self.state().metadata.remove(&self.map_key(key));
        }
        Ok(outcome)
    }

    async fn stored_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let k = self.map_key(key);
        let mut state = self.state();
        let Some(holder) = live(&mut state, &k).map(|e| e.token.clone()) else {
            return Ok(None);
        };
        let any_holder = self.bug == Bug::MetadataOutlivesRelease;
        let now = Instant::now();
        Ok(state
            .metadata
            .get(&k)
            .filter(|(token, _, until)| (any_holder || *token == holder) && *until > now)
            .map(|(token, meta, _)| (token.clone(), meta.clone())))
    }
}

#[async_trait]
impl GuardedWriteBackend for Mutant {
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8> {
        let name = if self.bug == Bug::DataKeyIgnoresName { "data" } else { name };
        match self.bug {
            Bug::DataKeyConcatenated => [key.as_bytes(), b":", name.as_bytes()].concat(),
            _ => [key.as_bytes(), b"~data~", name.as_bytes()].concat(),
        }
    }

    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError> {
        let k = self.map_key(key);
        let bug = self.bug;
        let mut state = self.state();
        let held = live(&mut state, &k).is_some_and(|e| e.token == *token);
        if !held && bug != Bug::WriteIgnoresHolder {
            return Ok(WriteOutcome::NotHeld);
        }
        if let Some(fence) = fence.filter(|_| bug != Bug::WriteIgnoresFence) {
            let slot = (k, data_key.to_vec());
            if let Some(&highest) = state.written.get(&slot) {
                let below = match bug {
                    Bug::WriteFencesAsFloats => (highest as f64) > (fence.get() as f64),
                    Bug::WriteFencesAsText => highest.to_string() > fence.get().to_string(),
                    _ => highest > fence.get(),
                };
                if below {
                    return Ok(WriteOutcome::Stale { highest: FencingToken::new(highest) });
                }
            }
            state.written.insert(slot, fence.get());
        }
        state.data.insert(data_key.to_vec(), value.to_vec());
        if bug == Bug::WriteResetsTheTtl
            && let Some(e) = live(&mut state, &self.map_key(key))
        {
            e.expires = Instant::now() + e.ttl;
        }
        Ok(WriteOutcome::Written)
    }

    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.state().data.get(data_key).cloned())
    }
}

impl Mutant {
    async fn try_acquire_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        limit: u32,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Permits)?;
        let limit = if self.bug == Bug::SemOverLimit { limit + 1 } else { limit } as usize;
        if self.bug == Bug::SemNonAtomic {
            if live_permits(&mut self.state(), &k).len() >= limit {
                return Ok(AcquireOutcome::Held { ttl_remaining: None });
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let expires = self.expiry(ttl);
        let mut state = self.state();
        let next_fence = state.fence + 1;
        let (bug, permits) = (self.bug, live_permits(&mut state, &k));
        if bug != Bug::SemRenewTakesAnother
            && let Some(mine) = permits.iter_mut().find(|e| e.token == *token)
        {
            mine.expires = expires;
            return Ok(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(mine.fencing)) });
        }
        if bug != Bug::SemNonAtomic && permits.len() >= limit {
            let soonest =
                permits.iter().map(|e| e.expires.saturating_duration_since(Instant::now())).min();
            return Ok(AcquireOutcome::Held { ttl_remaining: soonest });
        }
        permits.push(Entry { token: token.clone(), expires, ttl, fencing: next_fence });
        state.fence = next_fence;
        Ok(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(next_fence)) })
    }

    async fn release_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Permits)?;
        let mut state = self.state();
        let bug = self.bug;
        let permits = live_permits(&mut state, &k);
        let found =
            permits.iter().position(|e| e.token == *token || bug == Bug::SemReleaseIgnoresToken);
        let Some(at) = found else { return Ok(ReleaseOutcome::NotHeld) };
        permits.remove(at);
        if let Some(n) = state.watchers.remove(&k) {
            n.notify_waiters();
        }
        Ok(ReleaseOutcome::Released)
    }

    async fn extend_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Permits)?;
        let expires = self.expiry(ttl);
        let mut state = self.state();
        let resurrect = self.bug == Bug::SemExtendResurrects;
        let permits = live_permits(&mut state, &k);
        match permits.iter_mut().find(|e| e.token == *token) {
            Some(mine) => {
                mine.expires = expires;
                Ok(ExtendOutcome::Extended)
            }
            None if resurrect => {
                permits.push(Entry { token: token.clone(), expires, ttl, fencing: 0 });
                Ok(ExtendOutcome::Extended)
            }
            None => Ok(ExtendOutcome::NotHeld),
        }
    }

    async fn inspect_permits(&self, key: &LockKey) -> Result<Vec<LockInfo>, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Permits)?;
        let mut state = self.state();
        Ok(live_permits(&mut state, &k)
            .iter()
            .map(|e| LockInfo {
                holder: e.token.clone(),
                ttl_remaining: Some(e.expires.saturating_duration_since(Instant::now())),
                fencing: Some(FencingToken::new(e.fencing)),
            })
            .collect())
    }

    async fn watch_permits(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.watch_release(key).await
    }
}

type RwEntry = (Vec<(RwMode, Entry)>, Option<(LockToken, Instant)>);

/// The live holds and mark at `key`, expired ones dropped.
fn live_rw<'a>(state: &'a mut State, key: &[u8]) -> &'a mut RwEntry {
    let rw = state.rw.entry(key.to_vec()).or_default();
    let now = Instant::now();
    rw.0.retain(|(_, e)| e.expires > now);
    if rw.1.as_ref().is_some_and(|(_, until)| *until <= now) {
        rw.1 = None;
    }
    rw
}

/// The kinds a name can hold here.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Lock,
    Permits,
    Rw,
}

impl Mutant {
    /// One keyspace: `WrongType` when `k` holds another kind than `kind` (unless the bug keeps
    /// the kinds apart).
    fn only(&self, k: &[u8], kind: Kind) -> Result<(), BackendError> {
        if self.bug == Bug::KindsApart {
            return Ok(());
        }
        let mut state = self.state();
        let held = [
            (Kind::Lock, live(&mut state, k).is_some()),
            (Kind::Permits, !live_permits(&mut state, k).is_empty()),
            // A writer's waiting mark alone holds nothing.
            (Kind::Rw, !live_rw(&mut state, k).0.is_empty()),
        ];
        match held.iter().any(|(other, held)| *held && *other != kind) {
            true => Err(BackendError::new(
                "mutant",
                lock_core::BackendErrorKind::WrongType,
                "another kind",
            )),
            false => Ok(()),
        }
    }
}

impl Mutant {
    async fn try_acquire_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let (k, bug, expires) = (self.map_key(key), self.bug, self.expiry(ttl));
        self.only(&k, Kind::Rw)?;
        let mut state = self.state();
        let next_fence = state.fence + 1;
        let (holds, mark) = live_rw(&mut state, &k);
        let own = holds.iter().position(|(_, e)| e.token == *token);
        if let Some(at) = own {
            let (held, e) = &mut holds[at];
            if *held == mode
                || *held == RwMode::Write
                || (*held, mode) == (RwMode::UpgradeableRead, RwMode::Read)
            {
                e.expires = expires;
                let fencing = Some(FencingToken::new(e.fencing));
                let marked = mark.as_ref().is_some_and(|(t, _)| t == token);
                if mode != RwMode::Write && marked && bug != Bug::RwUpgradeMarkOutlivesItsGivingUp {
                    *mark = None;
                }
                return Ok(AcquireOutcome::Acquired { fencing });
            }
        }
        let own_mode = own.map(|at| holds[at].0);
        let refused = Ok(AcquireOutcome::Held { ttl_remaining: None });
        let others: Vec<RwMode> =
            holds.iter().filter(|(_, e)| e.token != *token).map(|(m, _)| *m).collect();
        let writer = others.contains(&RwMode::Write);
        let upgradeable = others.contains(&RwMode::UpgradeableRead);
        let other_mark = mark.as_ref().is_some_and(|(t, _)| t != token);
        let upgrading =
            own_mode == Some(RwMode::UpgradeableRead) && bug != Bug::RwUpgradeBehindWriters;
        match mode {
            RwMode::Read | RwMode::UpgradeableRead => {
                if (writer && bug != Bug::RwReaderBesideWriter) || other_mark {
                    return refused;
                }
                if mode == RwMode::UpgradeableRead && upgradeable && bug != Bug::RwTwoUpgradeable {
                    return refused;
                }
            }
            _ => {
                if other_mark && !upgrading {
                    return refused;
                }
                let readers_only = !writer && bug == Bug::RwWriterBesideReaders;
                if !others.is_empty() && !readers_only {
                    let may_mark = upgrading
                        || (!writer
                            && (!upgradeable || bug == Bug::RwUpgradeBehindWriters)
                            && !other_mark);
                    if may_mark && bug != Bug::RwNoWriterPreference {
                        *mark = Some((token.clone(), expires));
                    }
                    return refused;
                }
                if mark.as_ref().is_some_and(|(t, _)| t == token) {
                    *mark = None;
                }
            }
        }
        if let Some(at) = own {
            holds.remove(at);
        }
        holds.push((mode, Entry { token: token.clone(), expires, ttl, fencing: next_fence }));
        state.fence = next_fence;
        Ok(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(next_fence)) })
    }

    async fn release_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Rw)?;
        let mut state = self.state();
        let bug = self.bug;
        let (holds, mark) = live_rw(&mut state, &k);
        let before = holds.len();
        holds.retain(|(_, e)| e.token != *token);
        let released = holds.len() < before;
        if bug != Bug::RwMarkOutlivesRelease && mark.as_ref().is_some_and(|(t, _)| t == token) {
            *mark = None;
        }
        if let Some(n) = state.watchers.remove(&k) {
            n.notify_waiters();
        }
        Ok(if released { ReleaseOutcome::Released } else { ReleaseOutcome::NotHeld })
    }

    async fn extend_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (k, expires) = (self.map_key(key), self.expiry(ttl));
        self.only(&k, Kind::Rw)?;
        let mut state = self.state();
        match live_rw(&mut state, &k).0.iter_mut().find(|(_, e)| e.token == *token) {
            Some((_, e)) => {
                e.expires = expires;
                Ok(ExtendOutcome::Extended)
            }
            None => Ok(ExtendOutcome::NotHeld),
        }
    }

    async fn inspect_rw(&self, key: &LockKey) -> Result<LeaseHolders, BackendError> {
        let k = self.map_key(key);
        self.only(&k, Kind::Rw)?;
        let mut state = self.state();
        let (holds, mark) = live_rw(&mut state, &k);
        let holders = holds
            .iter()
            .map(|(mode, e)| {
                let info = LockInfo {
                    holder: e.token.clone(),
                    ttl_remaining: Some(e.expires.saturating_duration_since(Instant::now())),
                    fencing: Some(FencingToken::new(e.fencing)),
                };
                LeaseHolder::rw(*mode, info)
            })
            .collect();
        Ok(LeaseHolders { holders, writer_waiting: mark.is_some() })
    }

    async fn watch_rw(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.watch_release(key).await
    }
}

async fn outcome_of(bug: Bug, case: &str) -> CaseOutcome {
    let options = SuiteOptions { filter: Some(case.to_owned()), ..Default::default() };
    let report = run_suite(Arc::new(Mutant::new(bug)), &options).await;
    let found = report.cases.iter().find(|c| c.name == case);
    found.map(|c| c.outcome.clone()).unwrap_or_else(|| panic!("no case named {case}"))
}

async fn assert_rejected(bug: Bug, case: &str) {
    match outcome_of(bug, case).await {
        CaseOutcome::Failed(message) => eprintln!("{bug:?} rejected by {case}: {message}"),
        other => panic!("{bug:?} should fail {case}, but it ended {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_backend_without_a_bug_passes_everything() {
    let report = run_suite(Arc::new(Mutant::new(Bug::None)), &SuiteOptions::default()).await;
    assert!(report.is_success(), "{report}");
    // It offers every kind of lease, so K1 has nothing to check; every other case runs.
    let skipped: Vec<_> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Skipped(_)))
        .map(|c| c.name)
        .collect();
    assert_eq!(skipped, ["kinds_not_offered_are_unsupported"], "{report}");
}

/// A2 allows `Held` with no time left: the suite passes such a backend, and the manager keeps
/// its retry spacing with it (the waiting cases).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_reporting_no_time_left_passes_everything() {
    let report = run_suite(Arc::new(Mutant::new(Bug::NoTimeLeft)), &SuiteOptions::default()).await;
    assert!(report.is_success(), "{report}");
}

/// W4 allows a watch to resolve for nothing; the suite and the manager must agree that such a
/// backend keeps the contract (retry spacing included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_whose_watches_wake_for_nothing_passes_everything() {
    let report =
        run_suite(Arc::new(Mutant::new(Bug::SpuriousWatch)), &SuiteOptions::default()).await;
    assert!(report.is_success(), "{report}");
}

macro_rules! rejected {
    ($($test:ident: $bug:ident by $case:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            assert_rejected(Bug::$bug, stringify!($case)).await;
        }
    )*};
}

rejected! {
    release_without_token_check: ReleaseIgnoresToken by release_by_stranger_changes_nothing;
    extend_without_token_check: ExtendIgnoresToken by extend_by_stranger_changes_nothing;
    extend_that_recreates_expired_locks: ExtendResurrects by extend_after_expiry_does_not_resurrect;
    check_then_set_acquire: NonAtomicAcquire by concurrent_contenders_get_at_most_one_winner;
    upgrade_mark_outlives_its_giving_up: RwUpgradeMarkOutlivesItsGivingUp by rw_an_upgrade_given_up_takes_its_mark_away;
    refusing_the_holders_own_token: SameTokenRefused by reacquire_with_same_token_is_idempotent;
    new_fence_on_same_token: SameTokenNewFence by reacquire_with_same_token_is_idempotent;
    fencing_counter_reset_with_the_lock: FencingPerEntry by fencing_increases_across_releases;
    fencing_advertised_but_missing: ClaimsFencingButOmits by fencing_token_is_issued_when_advertised;
    locks_that_never_expire: NeverExpires by lock_expires_after_its_ttl;
    locks_that_expire_early: ExpiresAtHalfTtl by lock_is_not_released_before_its_ttl;
    contender_resets_holders_ttl: HeldResetsHolderTtl by refused_acquire_leaves_the_holder_untouched;
    inspect_that_extends: InspectExtends by inspect_is_read_only;
    watch_subscribed_on_first_poll: LazyWatch by watch_is_registered_when_returned;
    watch_that_never_fires: WatchNeverFires by watch_wakes_on_release;
    attempt_watch_that_never_fires: AttemptWatchNeverFires by watch_before_a_refused_attempt_wakes_on_release;
    case_folded_keys: CaseInsensitiveKeys by similar_names_stay_distinct;
    semaphore_over_its_limit: SemOverLimit by semaphore_grants_up_to_its_limit;
    permits_granted_unadvertised: SemUnadvertised by kinds_not_offered_are_unsupported;
    semaphore_over_its_limit_under_load: SemOverLimit by semaphore_holders_never_exceed_the_limit;
    permits_that_never_expire: SemNeverExpires by semaphore_permits_expire_and_extend;
    permit_release_without_token_check: SemReleaseIgnoresToken by semaphore_release_frees_a_slot;
    check_then_add_permits: SemNonAtomic by semaphore_concurrent_acquires_respect_the_limit;
    renewal_takes_a_second_permit: SemRenewTakesAnother by semaphore_renewal_keeps_the_permit;
    permit_extension_that_resurrects: SemExtendResurrects by semaphore_permits_expire_and_extend;
    reader_beside_a_writer: RwReaderBesideWriter by rw_readers_share_and_writers_exclude;
    reader_beside_a_writer_under_load: RwReaderBesideWriter by rw_writers_are_alone_under_contention;
    writer_beside_readers: RwWriterBesideReaders by rw_readers_share_and_writers_exclude;
    readers_starve_writers: RwNoWriterPreference by rw_waiting_writer_stops_new_readers;
    two_upgradeable_readers: RwTwoUpgradeable by rw_one_upgradeable_reader_at_a_time;
    writer_mark_outlives_its_release: RwMarkOutlivesRelease by rw_waiting_writer_stops_new_readers;
    writer_mark_outlives_a_give_up: RwMarkOutlivesRelease by rw_writer_that_gives_up_lets_readers_in;
    upgrade_behind_a_writer: RwUpgradeBehindWriters by rw_upgrade_goes_before_other_writers;
    truncated_keys: TruncatedKeys by similar_names_stay_distinct;
    locks_that_expire_at_80_percent: ExpiresAt80Percent by lock_is_not_released_before_its_ttl;
    keys_with_invalid_utf8_replaced: LossyUtf8Keys by similar_names_stay_distinct;
    keys_cut_at_a_nul_byte: KeysCutAtNul by similar_names_stay_distinct;
    holds_for_any_token: HoldsIgnoresToken by holds_is_true_for_the_holder_only;
    guarded_write_without_holder_check: WriteIgnoresHolder by guarded_write_needs_the_lock;
    stale_write_after_takeover: WriteIgnoresHolder by guard_writes_only_while_it_holds;
    fenced_write_that_ignores_the_fence: WriteIgnoresFence by fenced_write_refuses_a_lower_fence;
    fences_compared_as_floats: WriteFencesAsFloats by fenced_write_refuses_a_lower_fence;
    fences_compared_as_text: WriteFencesAsText by fenced_write_refuses_a_lower_fence;
    kinds_apart: KindsApart by a_name_used_as_two_kinds_is_a_clear_error;
    held_reports_the_ttl_set: HeldReportsTheTtlSet by held_reports_at_most_the_holders_ttl;
    batch_gives_every_item_the_first_ttl: BatchFirstTtl by extend_batch_answers_each_lock_as_extend_would;
    data_keys_concatenated: DataKeyConcatenated by data_keys_are_distinct_and_accepted;
    write_resets_the_ttl: WriteResetsTheTtl by guarded_write_needs_the_lock;
    set_names_the_last_held_key: MultiLastHeld by acquire_all_names_the_first_held_key;
    set_fences_reversed: MultiFencesReversed by acquire_all_grants_every_key_or_none;
    prefix_and_name_apart: PrefixAndNameApart by the_key_is_prefix_and_name_together;
    metadata_reacquire_new_fence: MetadataReacquireNewFence by metadata_is_stored_with_the_grant;
    same_token_expired_same_fence: SameTokenExpiredSameFence by fencing_increases_across_expiry;
    tokens_compared_by_prefix: TokenPrefixOnly by release_by_stranger_changes_nothing;
    written_fences_forgotten_on_release: WrittenFencesDieWithTheLock by fenced_write_refuses_a_lower_fence;
    one_data_key_for_every_name: DataKeyIgnoresName by data_keys_are_distinct_and_accepted;
    metadata_left_after_release: MetadataOutlivesRelease by metadata_lives_and_dies_with_the_lock;
    metadata_not_extended: MetadataNotExtended by metadata_lives_and_dies_with_the_lock;
    metadata_not_refreshed_by_the_manager: MetadataNotExtended by metadata_through_the_manager;
    contender_overwrites_metadata: MetadataWrittenWhenRefused by metadata_is_stored_with_the_grant;
    lock_sets_checked_then_granted_under_load: MultiCheckThenGrant by overlapping_sets_all_make_progress;
    lock_sets_granted_in_part: MultiPartialGrant by acquire_all_grants_every_key_or_none;
    lock_sets_checked_then_granted: MultiCheckThenGrant by acquire_all_is_atomic_under_contention;
    batch_that_claims_every_lock: BatchClaimsEveryLock by extend_batch_answers_each_lock_as_extend_would;
    batch_answered_in_reverse: BatchAnswersReversed by extend_batch_answers_each_lock_as_extend_would;
    batch_that_recreates_locks: BatchResurrects by extend_batch_serves_many_keys;
    batch_missing_its_last_answer: BatchDropsTheLast by extend_batch_serves_many_keys;
    fair_line_served_newest_first: FairLifo by fair_releases_hand_over_in_arrival_order;
    fair_line_served_newest_first_through_managers: FairLifo by fair_waiters_of_many_managers_go_in_order;
    fair_places_that_never_lapse: FairPlacesNeverLapse by fair_lapsed_and_departed_waiters_are_skipped;
    fair_release_without_handoff: FairNoHandoff by fair_releases_hand_over_in_arrival_order;
}

/// A failure found inside a helper the cases share names the case line that called it, so an
/// author lands on the failing step of the failing case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_in_shared_helpers_name_the_case_line() {
    let CaseOutcome::Failed(message) =
        outcome_of(Bug::NeverExpires, "lock_expires_after_its_ttl").await
    else {
        panic!("NeverExpires should fail lock_expires_after_its_ttl");
    };
    assert!(message.contains("(at lock-testkit/src/cases/util.rs:"), "{message}");
    assert!(message.contains(", called from lock-testkit/src/cases/acquire.rs:"), "{message}");
}
