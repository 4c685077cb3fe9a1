//! `BatchExtendBackend`: the optional contract for extending many locks in one call.

use std::time::Duration;

use async_trait::async_trait;

use super::ExtendOutcome;
use crate::error::BackendError;
use crate::key::LockKey;
use crate::token::LockToken;

/// One lock of a batch: extend `key`'s ttl to `ttl` if `token` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendItem<'a> {
    /// The lock.
    pub key: &'a LockKey,
    /// The token that must hold it.
    pub token: &'a LockToken,
    /// The new ttl.
    pub ttl: Duration,
}

/// Many locks extended in one call: what the manager's refresher sends when many
/// auto-refreshed locks fall due together, so that thousands of held locks cost the store a
/// few calls a second instead of one per lock. A backend offers it by returning `Some(self)`
/// from [`crate::LockBackend::batch_extend`]; without it, each lock is extended on its own.
///
/// Loss detection stays per lock: each item has its own answer, and an item answered
/// `NotHeld` marks only that guard lost.
#[async_trait]
pub trait BatchExtendBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The most items the refresher puts in one call (at least 1). Default: 256.
    ///
    /// # Behavior
    /// - BE4: Constant for the backend's lifetime, no I/O.
    fn max_batch(&self) -> usize {
        256
    }

    /// Extends each item as [`crate::LockBackend::extend`] would, and answers one outcome per
    /// item, in the items' order. Keys are distinct; there are at most
    /// [`BatchExtendBackend::max_batch`] of them (a larger batch may be refused with an error
    /// of kind [`crate::BackendErrorKind::Other`], not temporary, or served, never truncated).
    ///
    /// # Behavior
    /// - BE1: Each item's answer is what `extend(key, token, ttl)` would have answered (E1 to
    ///   E3): `Extended` with the key's ttl reset to that item's own ttl (items' ttls differ)
    ///   when its token holds it, `NotHeld` otherwise, and a key that is not held is never
    ///   created.
    /// - BE2: Exactly one answer per item, in order; an empty batch answers an empty list
    ///   without I/O.
    /// - BE3: An `Err` says nothing about any item: each may or may not have been extended.
    ///   The caller retries the items, which is safe since extending is idempotent for a token.
    async fn extend_batch(
        &self,
        items: &[ExtendItem<'_>],
    ) -> Result<Vec<ExtendOutcome>, BackendError>;
}
