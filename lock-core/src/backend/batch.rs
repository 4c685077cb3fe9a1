//! One item of [`crate::LockBackend::extend_batch`]: many locks extended in one call.

use std::time::Duration;

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
