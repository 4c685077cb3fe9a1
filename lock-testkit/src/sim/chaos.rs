//! A backend wrapper that injects, from the simulation's seeded random source, what the
//! contract allows a store and its network to do: delay a call before it lands, lose its reply
//! after it was applied, fail it for now before or after applying it, and wake a watcher for
//! nothing (W4).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lock_core::backend::{
    AcquireOutcome, BackendInfo, Capabilities, ExtendOutcome, GuardedWriteBackend, Lease,
    LeaseHolders, LeaseKind, LockInfo, ReleaseOutcome, ReleaseWatch, WriteOutcome, async_trait,
};
use lock_core::{
    BackendError, BackendErrorKind, DynLockBackend, FencingToken, LockBackend, LockKey, LockToken,
    Metadata,
};
use rand::RngExt;
use rand::rngs::StdRng;

/// How often each fault strikes a call, in parts per thousand.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// The call lands only after a delay (up to `max_delay`).
    pub delay: u32,
    /// The call is applied but its reply never comes (the manager's call timeout ends it).
    pub lost_reply: u32,
    /// The call fails with a temporary error without being applied.
    pub refused: u32,
    /// The call is applied, then answered with a temporary error.
    pub failed_after: u32,
    /// A watch resolves at once, for nothing.
    pub spurious_wake: u32,
    /// An acquire is applied, then answered with a `Replication` error (a WAIT-mode grant the
    /// replicas did not confirm and the store failed to give back).
    pub unconfirmed: u32,
    /// The longest injected delay.
    pub max_delay: Duration,
}

impl Faults {
    /// No faults: the store answers every call at once.
    pub fn none() -> Self {
        Self {
            delay: 0,
            lost_reply: 0,
            refused: 0,
            failed_after: 0,
            spurious_wake: 0,
            unconfirmed: 0,
            max_delay: Duration::ZERO,
        }
    }

    /// Faults drawn for one simulation: each kind is off or at a rate up to its cap.
    pub fn drawn(rng: &mut StdRng) -> Self {
        let mut rate = |cap: u32| if rng.random_bool(0.5) { rng.random_range(0..=cap) } else { 0 };
        Self {
            delay: rate(300),
            lost_reply: rate(30),
            refused: rate(60),
            failed_after: rate(30),
            spurious_wake: rate(200),
            unconfirmed: rate(30),
            max_delay: Duration::from_millis(rng.random_range(1..=400)),
        }
    }
}

/// What happens to one call.
enum Fate {
    Normal,
    Delayed(Duration),
    LostReply,
    Refused,
    FailedAfter,
}

/// A store seen through a faulty network: plain locks, and the permits, reader-writer holds and
/// fair locks of the store when it offers them (lock sets, batches, metadata and guarded writes
/// are not offered, so the manager takes sets member by member and extends one by one).
#[derive(Clone)]
pub(crate) struct Chaos {
    inner: Arc<DynLockBackend>,
    rng: Arc<Mutex<StdRng>>,
    faults: Faults,
}

impl std::fmt::Debug for Chaos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chaos").field("faults", &self.faults).finish()
    }
}

impl Chaos {
    pub(crate) fn new(inner: Arc<DynLockBackend>, rng: Arc<Mutex<StdRng>>, faults: Faults) -> Self {
        Self { inner, rng, faults }
    }

    fn fate(&self) -> Fate {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let roll = rng.random_range(0..1000u32);
        let f = &self.faults;
        let mut edge = f.lost_reply;
        if roll < edge {
            return Fate::LostReply;
        }
        edge += f.refused;
        if roll < edge {
            return Fate::Refused;
        }
        edge += f.failed_after;
        if roll < edge {
            return Fate::FailedAfter;
        }
        edge += f.delay;
        if roll < edge && !f.max_delay.is_zero() {
            let max = u64::try_from(f.max_delay.as_micros()).unwrap_or(u64::MAX);
            return Fate::Delayed(Duration::from_micros(rng.random_range(1..=max)));
        }
        Fate::Normal
    }

    /// Whether the next watch wakes for nothing.
    fn spurious(&self) -> bool {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_range(0..1000u32) < self.faults.spurious_wake
    }

    /// Runs `call` as its fate says.
    async fn run<T>(
        &self,
        call: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        let temporary =
            |what: &str| BackendError::new("chaos", BackendErrorKind::Connection, what.to_owned());
        match self.fate() {
            Fate::Normal => call.await,
            Fate::Delayed(d) => {
                tokio::time::sleep(d).await;
                call.await
            }
            Fate::Refused => Err(temporary("refused before it was applied")),
            Fate::FailedAfter => {
                let _ = call.await;
                Err(temporary("failed after it was applied"))
            }
            Fate::LostReply => {
                let _ = call.await;
                std::future::pending().await
            }
        }
    }
}

#[async_trait]
impl LockBackend for Chaos {
    fn info(&self) -> BackendInfo {
        let inner = self.inner.info();
        let kinds = [LeaseKind::Metadata, LeaseKind::Permit, LeaseKind::Rw, LeaseKind::Fair];
        let caps = kinds.into_iter().fold(
            Capabilities::none()
                .with_fencing(inner.capabilities.fencing)
                .with_release_notify(inner.capabilities.release_notify)
                .with_guarded_writes(inner.capabilities.guarded_writes),
            |caps, kind| caps.with_lease(kind, inner.capabilities.offers(kind)),
        );
        BackendInfo::new(inner.name, caps)
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let unconfirmed = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            rng.random_range(0..1000u32) < self.faults.unconfirmed
        };
        let answer = self.run(self.inner.try_acquire(key, token, ttl)).await;
        match answer {
            Ok(AcquireOutcome::Acquired { .. }) if unconfirmed => Err(BackendError::new(
                "chaos",
                BackendErrorKind::Replication,
                "granted on the primary, not confirmed by the replicas, not given back",
            )),
            other => other,
        }
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.run(self.inner.release(key, token)).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.run(self.inner.extend(key, token, ttl)).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.run(self.inner.inspect(key)).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let spurious = self.spurious();
        let watch = self.run(self.inner.watch_release(key)).await?;
        if spurious {
            return Ok(Box::pin(std::future::ready(())));
        }
        Ok(watch)
    }

    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        match lease {
            Lease::Lock => self.try_acquire(key, token, ttl).await,
            _ => self.run(self.inner.acquire_lease(key, token, lease, ttl)).await,
        }
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.run(self.inner.release_lease(key, token, kind)).await
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.run(self.inner.extend_lease(key, token, kind, ttl)).await
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        self.run(self.inner.inspect_lease(key, kind)).await
    }

    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        let spurious = self.spurious();
        let watch = self.run(self.inner.watch_lease(key, token, kind)).await?;
        if spurious {
            return Ok(Box::pin(std::future::ready(())));
        }
        Ok(watch)
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        self.run(self.inner.inspect_metadata(key)).await
    }

    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        self.inner.guarded_writes().is_some().then_some(self as &dyn GuardedWriteBackend)
    }
}

/// Guarded writes through the same network: delayed, lost replies, failures.
#[async_trait]
impl GuardedWriteBackend for Chaos {
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8> {
        self.writes().data_key(key, name)
    }

    fn check_data_key(&self, key: &LockKey, data_key: &[u8]) -> Result<(), String> {
        self.writes().check_data_key(key, data_key)
    }

    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError> {
        self.run(self.writes().write_if_held(key, token, data_key, value, fence)).await
    }

    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.run(self.writes().read_data(data_key)).await
    }
}

impl Chaos {
    /// The store's guarded writes (only asked for when its capabilities offer them).
    fn writes(&self) -> &dyn GuardedWriteBackend {
        self.inner.guarded_writes().expect("guarded writes are offered when this is called")
    }
}
