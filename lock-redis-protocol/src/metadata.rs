//! [`ScriptBackend`]'s metadata: the lock scripts with the metadata hash as one more key, so the
//! metadata is written, extended and deleted in the same step as the lock, which keeps its
//! plain token (clients without metadata still see an ordinary lock).

use std::time::Duration;

use lock_core::{
    BackendError, LockKey, LockToken, Metadata, backend::AcquireOutcome, backend::ExtendOutcome,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    pub(crate) async fn try_acquire_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
    ) -> Result<AcquireOutcome, BackendError> {
        let call = calls::acquire_with_metadata(key, token, ttl, self.fencing(), metadata);
        self.acquire_with(key, token, call).await
    }

    pub(crate) async fn extend_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        let (reply, replicated) = self.write(calls::extend_with_metadata(key, token, ttl)).await?;
        let outcome = reply::extend(self.name(), reply)?;
        if !replicated && outcome == ExtendOutcome::Extended {
            return Err(self.not_replicated("extend"));
        }
        Ok(outcome)
    }

    pub(crate) async fn stored_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        reply::metadata_inspect(self.name(), self.runner().run(calls::metadata_inspect(key)).await?)
    }
}
