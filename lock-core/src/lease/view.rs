//! [`LeaseView`]: a backend's leases of one kind, seen as plain locks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::FAIR_QUEUE_TTL;
use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, FairLockBackend,
    GuardedWriteBackend, LockBackend, LockInfo, MetadataBackend, ReleaseOutcome, ReleaseWatch,
    RwLockBackend, RwMode, SemaphoreBackend,
};
use crate::error::{BackendError, Error, Result};
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

/// What a lease holds, beyond a plain lock (which needs no view: the backend is its own).
#[derive(Debug)]
pub(crate) enum LeaseKind {
    /// A lock stored with metadata: the lock key is a plain lock's, so guarded writes work.
    Metadata(Metadata),
    /// A permit of a semaphore of `limit`.
    Permit {
        /// The caller's limit.
        limit: u32,
    },
    /// A reader-writer hold in a mode.
    Rw(RwMode),
    /// A plain lock taken in turn from the store's queue. The token the request sends now (a
    /// grant given back switches to a fresh one) is the one whose turn a watch waits for.
    Fair(Mutex<LockToken>),
}

impl LeaseKind {
    /// A fair lease, first sending `token`.
    pub(crate) fn fair(token: LockToken) -> Self {
        Self::Fair(Mutex::new(token))
    }

    /// What the backend must offer for this kind, for an `Unsupported` error.
    fn operation(&self) -> &'static str {
        match self {
            Self::Metadata(_) => "lock metadata",
            Self::Permit { .. } => "semaphores",
            Self::Rw(_) => "rw_locks",
            Self::Fair(_) => "fair locks",
        }
    }
}

/// The leases of one kind in `backend`, as the manager's loop, guards and refresher see them:
/// acquiring a "lock" takes the lease. Which trait of the backend answers is decided here and
/// nowhere else.
#[derive(Debug)]
pub(crate) struct LeaseView {
    backend: Arc<DynLockBackend>,
    kind: LeaseKind,
}

/// The backend's trait for a kind, or `Unsupported` before any I/O.
fn offered<'a, T: ?Sized>(
    view: &'a LeaseView,
    get: impl FnOnce(&'a DynLockBackend) -> Option<&'a T>,
) -> Result<&'a T, BackendError> {
    get(&*view.backend)
        .ok_or_else(|| BackendError::unsupported(view.backend.info().name, view.kind.operation()))
}

impl LeaseView {
    /// The leases of `kind` in `backend`, or [`Error::Unsupported`] when the backend does not
    /// offer them (no I/O).
    pub(crate) fn offered(backend: Arc<DynLockBackend>, kind: LeaseKind) -> Result<Arc<Self>> {
        let offered = match kind {
            LeaseKind::Metadata(_) => backend.metadata().is_some(),
            LeaseKind::Permit { .. } => backend.semaphores().is_some(),
            LeaseKind::Rw(_) => backend.rw_locks().is_some(),
            LeaseKind::Fair(_) => backend.fair_locks().is_some(),
        };
        if !offered {
            let (backend, operation) = (backend.info().name, kind.operation());
            return Err(Error::Unsupported { backend, operation });
        }
        Ok(Arc::new(Self { backend, kind }))
    }

    fn with_metadata(&self) -> Result<&dyn MetadataBackend, BackendError> {
        offered(self, |b| b.metadata())
    }

    fn permits(&self) -> Result<&dyn SemaphoreBackend, BackendError> {
        offered(self, |b| b.semaphores())
    }

    fn rw(&self) -> Result<&dyn RwLockBackend, BackendError> {
        offered(self, |b| b.rw_locks())
    }

    fn fair(&self) -> Result<&dyn FairLockBackend, BackendError> {
        offered(self, |b| b.fair_locks())
    }

    /// The live holders of `key`, for the kinds with many (permits, reader-writer holds).
    async fn holders(&self, key: &LockKey) -> Result<Option<Vec<LockInfo>>, BackendError> {
        Ok(match self.kind {
            LeaseKind::Permit { .. } => Some(self.permits()?.inspect_permits(key).await?),
            LeaseKind::Rw(_) => {
                Some(self.rw()?.inspect_rw(key).await?.0.into_iter().map(|h| h.info).collect())
            }
            LeaseKind::Metadata(_) | LeaseKind::Fair(_) => None,
        })
    }
}

#[async_trait]
impl LockBackend for LeaseView {
    fn info(&self) -> BackendInfo {
        self.backend.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        match &self.kind {
            LeaseKind::Metadata(metadata) => {
                self.with_metadata()?.try_acquire_with_metadata(key, token, ttl, metadata).await
            }
            LeaseKind::Permit { limit } => {
                self.permits()?.try_acquire_permit(key, token, *limit, ttl).await
            }
            LeaseKind::Rw(mode) => self.rw()?.try_acquire_rw(key, token, *mode, ttl).await,
            LeaseKind::Fair(current) => {
                *current.lock().unwrap_or_else(|e| e.into_inner()) = token.clone();
                self.fair()?.try_acquire_fair(key, token, ttl, FAIR_QUEUE_TTL).await
            }
        }
    }

    /// Ends the lease; for a fair lock, also hands it to the next waiter, and is how a waiter
    /// leaves the line.
    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        match &self.kind {
            LeaseKind::Metadata(_) => self.with_metadata()?.release_with_metadata(key, token).await,
            LeaseKind::Permit { .. } => self.permits()?.release_permit(key, token).await,
            LeaseKind::Rw(_) => self.rw()?.release_rw(key, token).await,
            LeaseKind::Fair(_) => self.fair()?.release_fair(key, token).await,
        }
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        match &self.kind {
            LeaseKind::Metadata(_) => {
                self.with_metadata()?.extend_with_metadata(key, token, ttl).await
            }
            LeaseKind::Permit { .. } => self.permits()?.extend_permit(key, token, ttl).await,
            LeaseKind::Rw(_) => self.rw()?.extend_rw(key, token, ttl).await,
            LeaseKind::Fair(_) => self.backend.extend(key, token, ttl).await,
        }
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
    /// (a release handing it the lock) instead.
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        match &self.kind {
            LeaseKind::Metadata(_) => self.backend.watch_release(key).await,
            LeaseKind::Permit { .. } => self.permits()?.watch_permits(key).await,
            LeaseKind::Rw(_) => self.rw()?.watch_rw(key).await,
            LeaseKind::Fair(current) => {
                let token = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
                self.fair()?.watch_turn(key, &token).await
            }
        }
    }

    /// A lock with metadata and a fair lock are plain locks in the store: data is written
    /// under them as under any lock. Permits and reader-writer holds are not (G1 asks for the
    /// lock key's holder).
    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        match self.kind {
            LeaseKind::Metadata(_) | LeaseKind::Fair(_) => self.backend.guarded_writes(),
            LeaseKind::Permit { .. } | LeaseKind::Rw(_) => None,
        }
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
            LeaseKind::Metadata(Metadata::new()),
            LeaseKind::Permit { limit: 2 },
            LeaseKind::Rw(RwMode::Read),
            LeaseKind::fair(token.clone()),
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let key = LockKey::with_default_prefix(format!("view-{i}")).expect("key");
            let view = LeaseView::offered(backend.clone(), kind).expect("offered");
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
