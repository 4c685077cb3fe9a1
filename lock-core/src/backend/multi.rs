//! The answer of [`crate::LockBackend::try_acquire_all`]: several locks taken in one atomic step.

use std::time::Duration;

use crate::fencing::FencingToken;

/// The answer of [`crate::LockBackend::try_acquire_all`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MultiAcquireOutcome {
    /// Every key now holds its token.
    Acquired {
        /// Each key's fencing token, in the order of the keys (`None` without fencing).
        fencing: Vec<Option<FencingToken>>,
    },
    /// The key at `index` is held by another token; nothing was changed.
    Held {
        /// Which key.
        index: usize,
        /// How long its holder's lock has left, when known.
        ttl_remaining: Option<Duration>,
    },
}
