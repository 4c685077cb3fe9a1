//! [`MemoryBackend`]'s batched extend: every item under the one mutex.

use async_trait::async_trait;
use tokio::time::Instant;

use super::MemoryBackend;
use super::backend::expiry;
use crate::backend::{BatchExtendBackend, ExtendItem, ExtendOutcome};
use crate::error::BackendError;

#[async_trait]
impl BatchExtendBackend for MemoryBackend {
    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        Ok(items
            .iter()
            .map(|item| match state.live(item.key, now) {
                Some(entry) if entry.token == *item.token => {
                    entry.expires = expiry(now, item.ttl);
                    ExtendOutcome::Extended
                }
                _ => ExtendOutcome::NotHeld,
            })
            .collect())
    }
}
