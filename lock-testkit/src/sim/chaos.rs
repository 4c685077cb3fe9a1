//! A backend wrapper that injects, from the simulation's seeded random source, what the
//! contract allows a store and its network to do: delay a call before it lands (even after its
//! caller gave up), lose its reply after it was applied, fail it for now before or after
//! applying it, refuse it for good, and wake a watcher for nothing (W4).

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
    /// The call fails with a permanent error (a permission the store refuses) without being
    /// applied.
    pub rejected: u32,
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
            rejected: 0,
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
            // Not drawn (the draws of the seeds kept as regression cases stay as they were): a
            // fifth of the refusals' rate.
            rejected: 0,
        }
        .with_rejections()
    }

    fn with_rejections(self) -> Self {
        Self { rejected: self.refused / 5, ..self }
    }
}

/// What happens to one call.
#[derive(Clone, Copy)]
enum Fate {
    Normal,
    /// Lands this long after it was sent, whether or not its caller still waits.
    Delayed(Duration),
    /// Never lands and is never answered (delayed past what the timing model allows).
    Lost,
    /// Refused for good, not applied.
    Rejected,
    LostReply,
    Refused,
    FailedAfter,
}

/// A store seen through a faulty network: plain locks, metadata, guarded writes, and the
/// permits, reader-writer holds and fair locks of the store when it offers them (lock sets and
/// batches are not offered, so the manager takes sets member by member and extends one by one).
///
/// Every call goes out as a command on the wire does: in a task of its own, so a caller that
/// gives up (the manager's call timeout) does not stop a call already sent. A delayed call may
/// so land after its caller was cut, within a call timeout of the cut (SAFETY.md's timing model,
/// assumption 6); a delay past that loses the call instead.
#[derive(Clone)]
pub(crate) struct Chaos {
    inner: Arc<DynLockBackend>,
    rng: Arc<Mutex<StdRng>>,
    faults: Faults,
    /// Calls delayed this long or more are lost: twice the manager's call timeout, less 1 ms.
    landing_bound: Duration,
}

impl std::fmt::Debug for Chaos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chaos").field("faults", &self.faults).finish()
    }
}

impl Chaos {
    pub(crate) fn new(
        inner: Arc<DynLockBackend>,
        rng: Arc<Mutex<StdRng>>,
        faults: Faults,
        call_timeout: Duration,
    ) -> Self {
        let landing_bound = (call_timeout * 2).saturating_sub(Duration::from_millis(1));
        Self { inner, rng, faults, landing_bound }
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
            let delay = Duration::from_micros(rng.random_range(1..=max));
            return if delay < self.landing_bound { Fate::Delayed(delay) } else { Fate::Lost };
        }
        // Last, so the rolls below this range keep the fates they had before it was added.
        edge += f.rejected;
        if roll < edge {
            return Fate::Rejected;
        }
        Fate::Normal
    }

    /// Whether the next watch wakes for nothing.
    fn spurious(&self) -> bool {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_range(0..1000u32) < self.faults.spurious_wake
    }

    /// Sends `call` (given the store) as its fate says.
    async fn send<T, F>(
        &self,
        call: impl FnOnce(Arc<DynLockBackend>) -> F,
    ) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        let temporary =
            |what: &str| BackendError::new("chaos", BackendErrorKind::Connection, what.to_owned());
        let fate = self.fate();
        let delay = match fate {
            Fate::Refused => return Err(temporary("refused before it was applied")),
            Fate::Rejected => {
                return Err(BackendError::new("chaos", BackendErrorKind::Auth, "not permitted"));
            }
            Fate::Lost => return std::future::pending().await,
            Fate::Delayed(d) => d,
            Fate::Normal | Fate::FailedAfter | Fate::LostReply => Duration::ZERO,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let call = call(self.inner.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(call.await);
        });
        let Ok(reply) = rx.await else { return std::future::pending().await };
        match fate {
            Fate::FailedAfter => Err(temporary("failed after it was applied")),
            Fate::LostReply => std::future::pending().await,
            _ => reply,
        }
    }

    /// Sends a watch registration; it may resolve at once, for nothing (W4).
    async fn watch<F>(
        &self,
        call: impl FnOnce(Arc<DynLockBackend>) -> F,
    ) -> Result<ReleaseWatch, BackendError>
    where
        F: Future<Output = Result<ReleaseWatch, BackendError>> + Send + 'static,
    {
        let spurious = self.spurious();
        let watch = self.send(call).await?;
        if spurious {
            return Ok(Box::pin(std::future::ready(())));
        }
        Ok(watch)
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
        let (key, token) = (key.clone(), token.clone());
        let answer = self.send(|b| async move { b.try_acquire(&key, &token, ttl).await }).await;
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
        let (key, token) = (key.clone(), token.clone());
        self.send(|b| async move { b.release(&key, &token).await }).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (key, token) = (key.clone(), token.clone());
        self.send(|b| async move { b.extend(&key, &token, ttl).await }).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        let key = key.clone();
        self.send(|b| async move { b.inspect(&key).await }).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let key = key.clone();
        self.watch(|b| async move { b.watch_release(&key).await }).await
    }

    async fn acquire_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        lease: Lease<'_>,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        // The call carries its own copy of the metadata; the other kinds borrow nothing.
        let (metadata, lease): (Option<Metadata>, Lease<'static>) = match lease {
            Lease::Lock => return self.try_acquire(key, token, ttl).await,
            Lease::Metadata(metadata) => (Some(metadata.clone()), Lease::Lock),
            Lease::Permit { limit } => (None, Lease::Permit { limit }),
            Lease::Rw(mode) => (None, Lease::Rw(mode)),
            Lease::Fair { queue_ttl } => (None, Lease::Fair { queue_ttl }),
            other => return Err(BackendError::unsupported("chaos", other.kind().operation())),
        };
        let (key, token) = (key.clone(), token.clone());
        self.send(|b| async move {
            let lease = metadata.as_ref().map_or(lease, Lease::Metadata);
            b.acquire_lease(&key, &token, lease, ttl).await
        })
        .await
    }

    async fn release_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseOutcome, BackendError> {
        let (key, token) = (key.clone(), token.clone());
        self.send(|b| async move { b.release_lease(&key, &token, kind).await }).await
    }

    async fn extend_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (key, token) = (key.clone(), token.clone());
        self.send(|b| async move { b.extend_lease(&key, &token, kind, ttl).await }).await
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<LeaseHolders, BackendError> {
        let key = key.clone();
        self.send(|b| async move { b.inspect_lease(&key, kind).await }).await
    }

    async fn watch_lease(
        &self,
        key: &LockKey,
        token: &LockToken,
        kind: LeaseKind,
    ) -> Result<ReleaseWatch, BackendError> {
        let (key, token) = (key.clone(), token.clone());
        self.watch(|b| async move { b.watch_lease(&key, &token, kind).await }).await
    }

    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        let key = key.clone();
        self.send(|b| async move { b.inspect_metadata(&key).await }).await
    }

    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        self.inner.guarded_writes().is_some().then_some(self as &dyn GuardedWriteBackend)
    }
}

/// Guarded writes through the same network: delayed, lost replies, failures.
#[async_trait]
impl GuardedWriteBackend for Chaos {
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8> {
        writes(&self.inner).data_key(key, name)
    }

    fn check_data_key(&self, key: &LockKey, data_key: &[u8]) -> Result<(), String> {
        writes(&self.inner).check_data_key(key, data_key)
    }

    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError> {
        let (key, token, data_key, value) =
            (key.clone(), token.clone(), data_key.to_vec(), value.to_vec());
        self.send(|b| async move {
            writes(&b).write_if_held(&key, &token, &data_key, &value, fence).await
        })
        .await
    }

    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let data_key = data_key.to_vec();
        self.send(|b| async move { writes(&b).read_data(&data_key).await }).await
    }
}

/// The store's guarded writes (only asked for when its capabilities offer them).
fn writes(store: &DynLockBackend) -> &dyn GuardedWriteBackend {
    store.guarded_writes().expect("guarded writes are offered when this is called")
}
