//! `MultiLockBackend`: the optional contract for taking several locks in one atomic step.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::BackendError;
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

/// The answer of [`MultiLockBackend::try_acquire_all`].
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

/// Several locks taken in one atomic step: all of them or none, one round trip. A backend
/// offers it by returning `Some(self)` from [`crate::LockBackend::multi_locks`];
/// [`crate::LockManager::lock_all`] then takes a set the backend accepts
/// ([`MultiLockBackend::can_acquire_together`]) with one call per attempt, and any other set
/// member by member in a fixed order.
///
/// Each key is an ordinary lock, with its own token: it is released, extended and inspected
/// with the [`crate::LockBackend`] primitives.
#[async_trait]
pub trait MultiLockBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Whether `keys` can be taken in one atomic step (on a Redis Cluster: all in one slot).
    ///
    /// # Behavior
    /// - MA4: No I/O; `try_acquire_all` is only called with sets it accepts.
    fn can_acquire_together(&self, keys: &[LockKey]) -> bool;

    /// Takes every key of `keys` for the token at the same index, if none is held by another
    /// token. `keys` are distinct, and as many as `tokens`.
    ///
    /// # Behavior
    /// - MA1: When no key is held by another token, each key is taken for its token exactly as
    ///   [`crate::LockBackend::try_acquire`] would (A1, A3, A5 to A7: a key already held by
    ///   its token is renewed with the same fence) and the answer is
    ///   [`MultiAcquireOutcome::Acquired`] with each key's fence, in order.
    /// - MA2: When a key is held by another token, the answer is
    ///   [`MultiAcquireOutcome::Held`] with the first such key's index and, when given, at most
    ///   that key's holder's remaining time (as A2), and nothing changes (no key of the set is
    ///   taken, renewed, or given a fence). Fences are per key (A7): keys of one set may get
    ///   equal fences.
    /// - MA3: Atomic: no other operation on any of the keys comes between the check and the
    ///   grants.
    async fn try_acquire_all(
        &self,
        keys: &[LockKey],
        tokens: &[LockToken],
        ttl: Duration,
    ) -> Result<MultiAcquireOutcome, BackendError>;
}
