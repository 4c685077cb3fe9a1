//! [`ScriptBackend`]'s fair locks: a line of waiting tokens beside the lock, the lock handed to
//! the first live waiter by the release script, which wakes that waiter alone.

use std::time::Duration;

use lock_core::{
    BackendError, LockKey, LockToken, backend::AcquireOutcome, backend::ReleaseOutcome,
    backend::ReleaseWatch,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::layout::turn_channel;
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    pub(crate) async fn try_acquire_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        queue_ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let call = calls::fair_acquire(key, token, ttl, queue_ttl, self.fencing(), self.publish());
        self.acquire_with(key, token, call).await
    }

    pub(crate) async fn release_fair(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let call = calls::fair_release(key, token, self.publish(), self.fencing());
        reply::release(self.name(), self.runner().run(call).await?)
    }

    pub(crate) async fn watch_turn(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseWatch, BackendError> {
        match self.notifications() {
            Some((hub, _)) => hub.watch(turn_channel(key, token).into_bytes()).await,
            None => Err(BackendError::unsupported(self.name(), "watch_turn")),
        }
    }
}
