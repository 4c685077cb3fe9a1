//! A fair lock seen as a plain lock, so the manager's acquire loop, guards, refresher and
//! releases work on it: attempts go through the store's queue, releases hand the lock over,
//! and a waiter watches for its own turn rather than for every release.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{
    AcquireOutcome, BackendInfo, DynLockBackend, ExtendOutcome, FairLockBackend, LockBackend,
    LockInfo, ReleaseOutcome, ReleaseWatch,
};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// How long a fair waiter's place in the store's queue lives after its last attempt. A waiter
/// renews it at least every third of this while it waits; a waiter that died is dropped from
/// the line after it, and a lock handed to it lapses after it at the latest.
pub const FAIR_QUEUE_TTL: Duration = Duration::from_secs(3);

/// One fair request's view of the manager's backend.
#[derive(Debug)]
pub(crate) struct FairView {
    backend: Arc<DynLockBackend>,
    /// The token the request sends now (a grant given back switches to a fresh one): the one
    /// whose turn a watch waits for.
    token: Mutex<LockToken>,
}

impl FairView {
    pub(crate) fn new(backend: Arc<DynLockBackend>, token: LockToken) -> Self {
        Self { backend, token: Mutex::new(token) }
    }

    fn fair(&self) -> Result<&dyn FairLockBackend, BackendError> {
        self.backend
            .fair_locks()
            .ok_or_else(|| BackendError::unsupported(self.backend.info().name, "fair locks"))
    }

    fn current(&self) -> LockToken {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl LockBackend for FairView {
    fn info(&self) -> BackendInfo {
        self.backend.info()
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token.clone();
        self.fair()?.try_acquire_fair(key, token, ttl, FAIR_QUEUE_TTL).await
    }

    /// Releases and hands the lock to the next waiter; also how a waiter leaves the line.
    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.fair()?.release_fair(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.backend.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.backend.inspect(key).await
    }

    async fn holds(&self, key: &LockKey, token: &LockToken) -> Result<bool, BackendError> {
        self.backend.holds(key, token).await
    }

    /// Waits for the current token's turn: a release handing it the lock.
    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.fair()?.watch_turn(key, &self.current()).await
    }
}
