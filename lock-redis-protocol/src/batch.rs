//! [`ScriptBackend`]'s batched extend: one script call extends many locks; on a cluster, one
//! call per hash slot (a script touches one slot), sent together.

use std::collections::BTreeMap;

use lock_core::{BackendError, backend::ExtendItem, backend::ExtendOutcome};

use crate::backend::{ScriptBackend, ScriptRunner};
use crate::layout::hash_slot;
use crate::{calls, reply};

impl<R: ScriptRunner> ScriptBackend<R> {
    /// One script call for `items`, all in one slot.
    async fn extend_group(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        let (answer, replicated) = self.write(calls::extend_many(items)).await?;
        let outcomes = reply::extend_many(self.name(), answer, items.len())?;
        if !replicated && outcomes.contains(&ExtendOutcome::Extended) {
            return Err(self.not_replicated("extend_batch"));
        }
        Ok(outcomes)
    }
}

impl<R: ScriptRunner> ScriptBackend<R> {
    /// BE1 to BE3: one script call, or on a cluster one per hash slot, sent together.
    pub(crate) async fn extend_each(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        if !self.runner().clustered() {
            return self.extend_group(items).await;
        }
        let mut slots: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            slots.entry(hash_slot(item.key.as_bytes())).or_default().push(i);
        }
        let groups: Vec<(Vec<usize>, Vec<ExtendItem<'_>>)> = slots
            .into_values()
            .map(|indices| {
                let group = indices.iter().map(|&i| items[i]).collect();
                (indices, group)
            })
            .collect();
        let answers = futures_util::future::join_all(
            groups.iter().map(|(_, group)| self.extend_group(group)),
        )
        .await;
        let mut outcomes = vec![ExtendOutcome::NotHeld; items.len()];
        for ((indices, _), answer) in groups.iter().zip(answers) {
            for (&i, outcome) in indices.iter().zip(answer?) {
                outcomes[i] = outcome;
            }
        }
        Ok(outcomes)
    }
}
