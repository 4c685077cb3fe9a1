//! [`ScriptBackend`]'s guarded writes: one script call checks the lock and writes the data key.

use lock_core::{
    BackendError, FencingToken, LockKey, LockToken, backend::GuardedWriteBackend,
    backend::WriteOutcome, backend::async_trait,
};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::layout::hash_slot;
use crate::{calls, reply};

#[async_trait]
impl<R: ScriptRunner> GuardedWriteBackend for ScriptBackend<R> {
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8> {
        crate::layout::data_key(key, name)
    }

    /// On a cluster connection, the data key must be in the lock's slot (a script touches one
    /// slot); elsewhere any key is accepted.
    fn check_data_key(&self, key: &LockKey, data_key: &[u8]) -> Result<(), String> {
        if !self.runner().clustered() {
            return Ok(());
        }
        let (lock_slot, data_slot) = (hash_slot(key.as_bytes()), hash_slot(data_key));
        if lock_slot == data_slot {
            return Ok(());
        }
        Err(format!(
            "`{}` is in cluster slot {data_slot} and the lock `{key}` in slot {lock_slot}; a guarded \
             write needs both in one slot: name the data key with `data_key(name)`, or give both \
             the same hash tag (e.g. lock `{{order:7}}` and data key `{{order:7}}:total`)",
            String::from_utf8_lossy(data_key)
        ))
    }

    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError> {
        let call = calls::guarded_write(key, token, data_key, value, fence);
        let (reply, replicated) = self.write(call).await?;
        let outcome = reply::guarded_write(self.name(), reply)?;
        if !replicated && outcome == WriteOutcome::Written {
            // Written on the primary only: a failover may lose it. Say so; it cannot be undone.
            return Err(self.not_replicated("guarded write"));
        }
        Ok(outcome)
    }

    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        reply::read_data(self.name(), self.runner().run(calls::read_data(data_key)).await?)
    }
}
