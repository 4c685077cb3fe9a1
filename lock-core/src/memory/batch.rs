//! [`MemoryBackend`]'s batched extend: every item under the one mutex.

use tokio::time::Instant;

use super::MemoryBackend;
use crate::backend::{ExtendItem, ExtendOutcome};
use crate::error::BackendError;

impl MemoryBackend {
    /// BE1 to BE3.
    pub(super) fn extend_each(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let now = Instant::now();
        let mut state = self.state();
        // Item by item, as Redis's script extends them: a name holding another kind ends the
        // batch with a `WrongType` error, the items before it extended.
        let mut outcomes = Vec::with_capacity(items.len());
        for item in items {
            state.only(item.key, super::backend::Kind::Lock, now)?;
            outcomes.push(state.extend(item.key, item.token, item.ttl, now));
        }
        Ok(outcomes)
    }
}
