//! `MetadataBackend`: the optional contract for metadata stored with a lock.

use std::time::Duration;

use async_trait::async_trait;

use super::{AcquireOutcome, ExtendOutcome, ReleaseOutcome};
use crate::error::BackendError;
use crate::key::LockKey;
use crate::metadata::Metadata;
use crate::token::LockToken;

/// Locks that carry their holder's [`Metadata`]: the lock primitives of
/// [`crate::LockBackend`], each also writing, refreshing or removing the metadata in the same
/// atomic step. The lock itself is stored exactly as by the plain primitives (in Redis, the
/// lock key keeps the plain token), so clients that know nothing of metadata still exclude and
/// are excluded.
///
/// A backend offers it by returning `Some(self)` from [`crate::LockBackend::metadata`]. Use it
/// through [`crate::LockRequest::metadata`]; the manager then sends every acquire, extension
/// and release of that lock here.
#[async_trait]
pub trait MetadataBackend: Send + Sync + std::fmt::Debug + 'static {
    /// [`crate::LockBackend::try_acquire`], storing `metadata` with the grant.
    ///
    /// # Behavior
    /// - M1: Every bullet of `try_acquire` (A1 to A7) holds.
    /// - M2: On `Acquired`, `metadata` is stored for `token` in the same atomic step (replacing
    ///   any earlier metadata of the key), with the lock's expiry; on `Held`, nothing changes.
    ///   An empty [`Metadata`] is stored like any other: M5 shows it, with no fields.
    async fn try_acquire_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
        metadata: &Metadata,
    ) -> Result<AcquireOutcome, BackendError>;

    /// [`crate::LockBackend::extend`], moving the metadata's expiry with the lock's.
    ///
    /// # Behavior
    /// - M3: Every bullet of `extend` (E1 to E3) holds, and the metadata lives as long as the
    ///   lock.
    async fn extend_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError>;

    /// [`crate::LockBackend::release`], removing the metadata with the lock.
    ///
    /// # Behavior
    /// - M4: Every bullet of `release` (R1 to R3) holds; on `Released` the metadata is gone
    ///   too.
    async fn release_with_metadata(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError>;

    /// The metadata of the current holder of `key`, with that holder's token.
    ///
    /// # Behavior
    /// - M5: `None` when the key is free, expired, or its holder stored no metadata (metadata
    ///   left by an earlier holder is never shown for a later one, whichever call took the
    ///   lock: a plain [`crate::LockBackend::try_acquire`] by a new holder hides it too). A
    ///   plain `try_acquire` or `extend` by the holder leaves its stored metadata as it is, its
    ///   expiry included: a lock with metadata is renewed with the `_with_metadata` calls.
    /// - M6: Read-only.
    async fn inspect_metadata(
        &self,
        key: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError>;
}
