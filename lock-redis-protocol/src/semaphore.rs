//! [`ScriptBackend`]'s counting semaphores: one script call per primitive.
//!
//! A semaphore `<prefix><name>` is a sorted set of its holders' tokens scored by their expiry
//! in ms on the server's clock (`TIME`), with each permit's fence in the hash
//! `<prefix>~permits{<tag>}<name>`; both expire with the longest lease. Fences come from the
//! same counter as a lock's (`<prefix>~fence{<tag>}<name>`), and releases publish on the same
//! channel, so every key of a semaphore is in one cluster slot.

use std::time::Duration;

use lock_core::{
    BackendError, LockKey, LockToken, backend::AcquireOutcome, backend::ExtendOutcome,
    backend::LockInfo, backend::ReleaseOutcome,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    pub(crate) async fn try_acquire_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        limit: u32,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        let call = calls::permit_acquire(key, token, limit, ttl, self.fencing());
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::acquire(self.name(), reply)?;
        if !replicated && matches!(outcome, AcquireOutcome::Acquired { .. }) {
            // As for a lock: a grant only the primary knows is given back.
            let _ = self.release_permit(key, token).await;
            return Err(self.not_replicated("acquire_permit"));
        }
        Ok(outcome)
    }

    pub(crate) async fn release_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        let reply = self.runner().run(calls::permit_release(key, token, self.publish())).await?;
        reply::release(self.name(), reply)
    }

    pub(crate) async fn extend_permit(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (reply, replicated) = self.write(calls::permit_extend(key, token, ttl)).await?;
        let outcome = reply::extend(self.name(), reply)?;
        if !replicated && outcome == ExtendOutcome::Extended {
            return Err(self.not_replicated("extend_permit"));
        }
        Ok(outcome)
    }

    pub(crate) async fn inspect_permits(
        &self,
        key: &LockKey,
    ) -> Result<Vec<LockInfo>, BackendError> {
        let mut permits =
            reply::permits(self.name(), self.runner().run(calls::permit_inspect(key)).await?)?;
        if !self.fencing() {
            permits.iter_mut().for_each(|p| p.fencing = None);
        }
        Ok(permits)
    }
}
