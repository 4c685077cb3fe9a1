//! [`MemoryBackend`]'s guarded writes: data keys in a map beside the locks, checked and written
//! under the same mutex as the locks.

use async_trait::async_trait;
use tokio::time::Instant;

use super::MemoryBackend;
use crate::backend::{GuardedWriteBackend, WriteOutcome};
use crate::error::BackendError;
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

#[async_trait]
impl GuardedWriteBackend for MemoryBackend {
    /// `<lock key>~data~<name>`: lock keys contain no `~`, so no data key is a lock key.
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(key.as_bytes().len() + 6 + name.len());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"~data~");
        out.extend_from_slice(name.as_bytes());
        out
    }

    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        if !state.live(key, now).is_some_and(|e| e.token == *token) {
            return Ok(WriteOutcome::NotHeld);
        }
        if let Some(fence) = fence {
            let slot = (key.clone(), data_key.to_vec());
            match state.written.get(&slot) {
                Some(&highest) if highest > fence.get() => {
                    return Ok(WriteOutcome::Stale { highest: FencingToken::new(highest) });
                }
                _ => {
                    state.written.insert(slot, fence.get());
                }
            }
        }
        state.data.insert(data_key.to_vec(), value.to_vec());
        Ok(WriteOutcome::Written)
    }

    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.state().data.get(data_key).cloned())
    }
}
