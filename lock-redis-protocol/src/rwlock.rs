//! [`ScriptBackend`]'s reader-writer locks: one script call per primitive.
//!
//! A lock `<prefix><name>` is a sorted set of its holders' tokens scored by their expiry in ms
//! on the server's clock, with each hold's mode and fence, the writer and the upgradeable
//! reader in the hash `<prefix>~holds{<tag>}<name>`, and a waiting writer's mark in
//! `<prefix>~writer{<tag>}<name>`. Fences come from the lock's counter and releases publish on
//! the lock's channel, so every key of a lock is in one cluster slot.

use std::time::Duration;

use lock_core::{
    BackendError, LockKey, LockToken, RwMode, backend::AcquireOutcome, backend::ExtendOutcome,
    backend::LeaseHolders, backend::ReleaseOutcome,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    pub(crate) async fn try_acquire_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        mode: RwMode,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let call = calls::rw_acquire(key, token, mode, ttl, self.fencing(), self.publish());
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::acquire(self.name(), reply)?;
        if !replicated && matches!(outcome, AcquireOutcome::Acquired { .. }) {
            // As for a lock: a grant only the primary knows is given back.
            let _ = self.release_rw(key, token).await;
            return Err(self.not_replicated("acquire_rw"));
        }
        Ok(outcome)
    }

    pub(crate) async fn release_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let reply = self.runner().run(calls::rw_release(key, token, self.publish())).await?;
        reply::release(self.name(), reply)
    }

    pub(crate) async fn extend_rw(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (reply, replicated) = self.write(calls::rw_extend(key, token, ttl)).await?;
        let outcome = reply::extend(self.name(), reply)?;
        if !replicated && outcome == ExtendOutcome::Extended {
            return Err(self.not_replicated("extend_rw"));
        }
        Ok(outcome)
    }

    pub(crate) async fn inspect_rw(&self, key: &LockKey) -> Result<LeaseHolders, BackendError> {
        let reply = self.runner().run(calls::rw_inspect(key)).await?;
        let mut held = reply::rw_holders(self.name(), reply)?;
        if !self.fencing() {
            held.holders.iter_mut().for_each(|h| h.info.fencing = None);
        }
        Ok(held)
    }
}
