//! Release notifications for `watch`: the lock's release channel (`SUBSCRIBE`, or
//! `SSUBSCRIBE` on a cluster) through the backend's `watch_release`, re-armed after each wake-up.
//! When subscribing fails, `watch` says so once and relies on polling, trying again later.

use std::sync::Arc;
use std::time::Duration;

use lock_redis::lock_core::backend::ReleaseWatch;
use lock_redis::{DynLockBackend, LockKey};
use tokio::time::Instant;

use crate::endpoint::Endpoint;

/// How long subscribing may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long to rely on polling alone after subscribing failed.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// One lock's release channel, armed or waiting to be.
pub(crate) struct Notifications {
    backend: Arc<DynLockBackend>,
    key: LockKey,
    armed: Option<ReleaseWatch>,
    retry_at: Instant,
    warned: bool,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications")
            .field("key", &self.key)
            .field("armed", &self.armed.is_some())
            .finish()
    }
}

impl Notifications {
    /// Not armed yet: call [`Notifications::arm`].
    pub(crate) fn new(backend: Arc<DynLockBackend>, key: LockKey) -> Self {
        Self { backend, key, armed: None, retry_at: Instant::now(), warned: false }
    }

    /// Subscribes if not subscribed (and not failed recently); the watch is registered when
    /// this returns, so no release after it is missed.
    pub(crate) async fn arm(&mut self, endpoint: &Endpoint) {
        if self.armed.is_some() || Instant::now() < self.retry_at {
            return;
        }
        let failure =
            match tokio::time::timeout(SUBSCRIBE_TIMEOUT, self.backend.watch_release(&self.key))
                .await
            {
                Ok(Ok(watch)) => {
                    self.armed = Some(watch);
                    if self.warned {
                        eprintln!("note: release notifications are back");
                        self.warned = false;
                    }
                    return;
                }
                Ok(Err(e)) => endpoint.explain_backend(&e),
                Err(_) => "subscribing took too long".to_owned(),
            };
        self.retry_at = Instant::now() + RETRY_AFTER;
        if !self.warned {
            eprintln!("note: release notifications unavailable ({failure}): polling only");
            self.warned = true;
        }
    }

    /// Resolves when a release may have happened (never, while not armed); disarms.
    pub(crate) async fn fired(&mut self) {
        match self.armed.as_mut() {
            Some(watch) => {
                watch.await;
                self.armed = None;
            }
            None => std::future::pending().await,
        }
    }
}
