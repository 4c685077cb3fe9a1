//! [`ScriptBackend`]'s atomic lock sets: one script call takes every lock of a set or none.
//! On a cluster, only a set whose keys share a slot (a script touches one slot).

use std::time::Duration;

use lock_core::{BackendError, LockKey, LockToken, backend::MultiAcquireOutcome};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::layout::hash_slot;
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    /// MA4: any set on one server; on a cluster, a set in one slot.
    pub(crate) fn together(&self, keys: &[LockKey]) -> bool {
        if !self.runner().clustered() {
            return true;
        }
        let mut slots = keys.iter().map(|k| hash_slot(k.as_bytes()));
        let first = slots.next();
        slots.all(|s| Some(s) == first)
    }

    /// MA1 to MA3: one script call.
    pub(crate) async fn take_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError> {
        let call = calls::multi_acquire(keys, tokens, ttl, self.fencing());
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::multi_acquire(self.name(), reply)?;
        if !replicated && matches!(outcome, MultiAcquireOutcome::Acquired { .. }) {
            // As for one lock: grants only the primary knows are given back.
            for (key, token) in keys.iter().zip(tokens) {
                let _ = self.runner().run(calls::release(key, token, self.publish())).await;
            }
            return Err(self.not_replicated("acquire_all"));
        }
        Ok(outcome)
    }
}
