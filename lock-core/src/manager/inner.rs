//! What every clone of a manager, and every guard, shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::backend::{BackendInfo, DynLockBackend, ReleaseOutcome};
use crate::call_timeout::within;
use crate::error::{BackendError, Result};
use crate::guard::GuardShared;
use crate::key::{KeyPrefix, LockKey};
use crate::refresh::Refresher;
use crate::retry::RetryPolicy;
use crate::timing::Drift;
use crate::token::LockToken;

use super::queue::WaitQueues;

/// Checked manager settings.
#[derive(Clone, Debug)]
pub(crate) struct ManagerConfig {
    pub(crate) prefix: KeyPrefix,
    pub(crate) ttl: Duration,
    pub(crate) drift: Drift,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_hold: Option<Duration>,
    /// The bound on every backend call.
    pub(crate) call_timeout: Duration,
}

#[derive(Debug)]
pub(crate) struct ManagerInner {
    pub(crate) backend: Arc<DynLockBackend>,
    pub(crate) info: BackendInfo,
    pub(crate) config: ManagerConfig,
    pub(crate) refresher: Refresher,
    /// This manager's waiters, first come first served per key.
    pub(crate) queues: WaitQueues,
    /// The reader-writer views of the backend (read, upgradeable read, write), made on first
    /// use and shared by every `RwLock` handle: a view does not depend on the name, and a guard
    /// names its lease by its view, so any handle of a lock recognises its upgradeable reads.
    rw_views: Mutex<Option<[Arc<DynLockBackend>; 3]>>,
    next_id: AtomicU64,
}

/// Attempts at a release before its error is returned, and the pause after each failure.
const RELEASE_RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(10), Duration::from_millis(50)];

impl ManagerInner {
    /// The reader-writer views (read, upgradeable read, write), made by `make` the first time.
    pub(crate) fn rw_views(
        &self,
        make: impl FnOnce() -> Result<[Arc<DynLockBackend>; 3]>,
    ) -> Result<[Arc<DynLockBackend>; 3]> {
        let mut views = self.rw_views.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(views) = views.as_ref() {
            return Ok(views.clone());
        }
        Ok(views.insert(make()?).clone())
    }

    pub(crate) fn new(
        backend: Arc<DynLockBackend>,
        config: ManagerConfig,
        refresher: Refresher,
    ) -> Self {
        let info = backend.info();
        Self {
            backend,
            info,
            config,
            refresher,
            queues: WaitQueues::default(),
            rw_views: Mutex::new(None),
            next_id: AtomicU64::new(1),
        }
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn key(&self, name: &[u8]) -> Result<LockKey> {
        LockKey::new(&self.config.prefix, name)
    }

    pub(crate) fn stop_refresh(&self, shared: &GuardShared) {
        if shared.refreshed {
            self.refresher.remove(shared);
        }
    }

    /// How to release a token of this manager, detached from the manager's lifetime.
    pub(crate) fn releaser(&self) -> Releaser {
        self.releaser_in(&self.backend)
    }

    /// How to release a token held in `store` (the manager's backend, or a permit view).
    pub(crate) fn releaser_in(&self, store: &Arc<DynLockBackend>) -> Releaser {
        Releaser { backend: store.clone(), name: self.info.name, timeout: self.config.call_timeout }
    }

    /// Releases, retrying temporary errors briefly; each call bounded by the call timeout.
    pub(crate) async fn release(&self, key: &LockKey, token: &LockToken) -> Result<ReleaseOutcome> {
        self.releaser().release(key, token).await.map_err(Into::into)
    }
}

/// A backend, its name and the call timeout: enough to release a token from a background task.
#[derive(Clone, Debug)]
pub(crate) struct Releaser {
    backend: Arc<DynLockBackend>,
    name: &'static str,
    timeout: Duration,
}

impl Releaser {
    /// Releases `token`, retrying temporary errors twice; each call bounded by the call timeout.
    pub(crate) async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let mut pauses = RELEASE_RETRY_PAUSES.iter();
        loop {
            match within(self.name, self.timeout, self.backend.release(key, token)).await {
                Err(e) if e.is_temporary() => match pauses.next() {
                    Some(pause) => tokio::time::sleep(*pause).await,
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    /// Spawns a release of `token` on the current runtime (or logs that the lock will expire).
    pub(crate) fn spawn(&self, key: &LockKey, token: &LockToken) -> Option<JoinHandle<()>> {
        self.spawn_after(std::future::ready(()), key, token)
    }

    /// [`Releaser::spawn`], sending the release once `first` has completed.
    pub(crate) fn spawn_after(
        &self,
        first: impl std::future::Future<Output = ()> + Send + 'static,
        key: &LockKey,
        token: &LockToken,
    ) -> Option<JoinHandle<()>> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                key = %key,
                "lock dropped outside a tokio runtime: it stays held until its ttl runs out"
            );
            return None;
        };
        let (this, key, token) = (self.clone(), key.clone(), token.clone());
        Some(runtime.spawn(async move {
            first.await;
            match this.release(&key, &token).await {
                Ok(outcome) => tracing::trace!(key = %key, ?outcome, "background release"),
                Err(e) => tracing::warn!(
                    key = %key,
                    error = %e,
                    "background release failed: the lock stays held until its ttl runs out"
                ),
            }
        }))
    }
}
