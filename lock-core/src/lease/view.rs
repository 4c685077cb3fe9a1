//! [`LeaseView`]: a backend's leases of one kind, seen as plain locks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::FAIR_QUEUE_TTL;
use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, GuardedWriteBackend, Lease,
    LeaseKind, LockBackend, LockInfo, ReleaseOutcome, ReleaseWatch, RwMode,
};
use crate::error::{BackendError, Error, Result};
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

/// What a request leases, beyond a plain lock (which needs no view: the backend is its own).
#[derive(Debug)]
pub(crate) enum LeaseSpec {
    /// A lock stored with metadata: the lock key is a plain lock's, so guarded writes work.
    Metadata(Metadata),
    /// A permit of a semaphore of `limit`.
    Permit {
        /// The caller's limit.
        limit: u32,
    },
    /// A reader-writer hold in a mode.
    Rw(RwMode),
    /// A plain lock taken in turn from the store's queue.
    Fair,
}

impl LeaseSpec {
    /// What the backend's lease calls take.
    fn lease(&self) -> Lease<'_> {
        match self {
            Self::Metadata(metadata) => Lease::Metadata(metadata),
            Self::Permit { limit } => Lease::Permit { limit: *limit },
            Self::Rw(mode) => Lease::Rw(*mode),
            Self::Fair => Lease::Fair { queue_ttl: FAIR_QUEUE_TTL },
        }
    }

    fn kind(&self) -> LeaseKind {
        self.lease().kind()
    }
}

/// The leases of one kind in `backend`, as the manager's loop, guards and refresher see them:
/// acquiring a "lock" takes the lease. The kind is an argument of the backend's lease calls;
/// this view only fixes it.
#[derive(Debug)]
pub(crate) struct LeaseView {
    backend: Arc<DynLockBackend>,
    spec: LeaseSpec,
    /// The token of the latest attempt (for a fair request, its first token from the start): a
    /// fair waiter's watch waits for that token's turn (a grant given back switches its request
    /// to a fresh token). A fair view serves one request; the other kinds' watches do not
    /// depend on the token.
    sent: Mutex<Option<LockToken>>,
}

impl LeaseView {
    /// The leases of `spec`'s kind in `backend`, or [`Error::Unsupported`] when the backend's
    /// capabilities do not offer them (no I/O). `first` is the token a fair request sends
    /// first (its watch may be registered before its first attempt).
    pub(crate) fn offered(
        backend: Arc<DynLockBackend>,
        spec: LeaseSpec,
        first: Option<LockToken>,
    ) -> Result<Arc<Self>> {
        let kind = spec.kind();
        let info = backend.info();
        if !info.capabilities.offers(kind) {
            return Err(Error::Unsupported { backend: info.name, operation: kind.operation() });
        }
        Ok(Arc::new(Self { backend, spec, sent: Mutex::new(first) }))
    }

    /// The holders of `key`, for the kinds with many (permits, reader-writer holds).
    async fn holders(&self, key: &LockKey) -> Result<Option<Vec<LockInfo>>, BackendError> {
        Ok(match self.spec {
            LeaseSpec::Permit { .. } | LeaseSpec::Rw(_) => {
                Some(self.backend.inspect_lease(key, self.spec.kind()).await?.into_infos())
            }
            LeaseSpec::Metadata(_) | LeaseSpec::Fair => None,
        })
    }
}

#[async_trait]
impl LockBackend for LeaseView {
    /// The backend's, without what applies to plain locks only: batched extends and lock sets
    /// (they extend and take lock keys, not leases of this kind) and, but for a lock with
    /// metadata or a fair lock, guarded writes (a lock with metadata and a fair lock are plain
    /// locks in the store: data is written under them as under any lock; permits and
    /// reader-writer holds are not, G1 asks for the lock key's holder).
    fn info(&self) -> BackendInfo {
        let info = self.backend.info();
        let plain_lock = matches!(self.spec, LeaseSpec::Metadata(_) | LeaseSpec::Fair);
        let caps = info
            .capabilities
            .with_batch_extend(false)
            .with_lock_sets(false)
            .with_guarded_writes(plain_lock && info.capabilities.guarded_writes);
        BackendInfo::new(info.name, caps)
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        *self.sent.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        self.backend.acquire_lease(key, token, self.spec.lease(), ttl).await
    }

    /// Ends the lease; for a fair lock, also hands it to the next waiter, and is how a waiter
    /// leaves the line.
    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.backend.release_lease(key, token, self.spec.kind()).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.backend.extend_lease(key, token, self.spec.kind(), ttl).await
    }

    /// One holder of the key. (The manager reads a semaphore or a reader-writer lock through
    /// `Semaphore::holders` and `RwLock::holders`, never through this.)
    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        match self.holders(key).await? {
            Some(mut holders) => Ok(holders.pop()),
            None => self.backend.inspect(key).await,
        }
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        match self.holders(key).await? {
            Some(holders) => Ok(holders.iter().any(|h| &h.holder == token)),
            None => self.backend.holds(key, token).await,
        }
    }

    /// Resolves when a lease of the key may have ended; a fair waiter waits for its own turn
    /// (a release handing it the lock) instead. The other kinds' watches do not depend on the
    /// token: before any attempt, a fresh one stands in.
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let token = match sent {
            Some(token) => token,
            None => LockToken::generate().map_err(|e| {
                BackendError::new(self.info().name, crate::BackendErrorKind::Other, e.to_string())
            })?,
        };
        self.backend.watch_lease(key, &token, self.spec.kind()).await
    }

    /// The backend's `watch_before_attempt` for the kinds held as plain locks in the store (a
    /// lock, a lock with metadata), whose attempts are the plain attempt's; the lease's own
    /// watch for the others.
    async fn watch_before_attempt(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match self.spec.kind() {
            LeaseKind::Lock | LeaseKind::Metadata => self.backend.watch_before_attempt(key).await,
            _ => self.watch_release(key).await,
        }
    }

    /// The backend's; whether they apply to this kind is [`LeaseView::info`]'s flag.
    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        self.backend.guarded_writes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryBackend;

    /// Each kind's view answers `inspect` and `holds` for its holder, and nothing once released.
    #[tokio::test]
    async fn every_kind_reads_its_holder() {
        let backend: Arc<DynLockBackend> = Arc::new(MemoryBackend::new());
        let token = LockToken::generate().expect("entropy");
        let kinds = [
            LeaseSpec::Metadata(Metadata::new()),
            LeaseSpec::Permit { limit: 2 },
            LeaseSpec::Rw(RwMode::Read),
            LeaseSpec::Fair,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let key = LockKey::with_default_prefix(format!("view-{i}")).expect("key");
            let view = LeaseView::offered(backend.clone(), kind, None).expect("offered");
            let ttl = Duration::from_secs(5);
            let granted = view.try_acquire(&key, &token, ttl).await.expect("acquire");
            assert!(matches!(granted, AcquireOutcome::Acquired { .. }), "{i}: {granted:?}");
            let seen = view.inspect(&key).await.expect("inspect").expect("a holder");
            assert_eq!(seen.holder, token, "{i}");
            assert!(view.holds(&key, &token).await.expect("holds"), "{i}");
            let other = LockToken::generate().expect("entropy");
            assert!(!view.holds(&key, &other).await.expect("holds"), "{i}");
            assert_eq!(
                view.release(&key, &token).await.expect("release"),
                ReleaseOutcome::Released
            );
            assert_eq!(view.inspect(&key).await.expect("inspect"), None, "{i}");
            assert!(!view.holds(&key, &token).await.expect("holds"), "{i}");
        }
    }
}
