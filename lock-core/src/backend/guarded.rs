//! `GuardedWriteBackend`: the optional contract for writes that take effect only while a lock
//! is held.

use async_trait::async_trait;

use crate::error::BackendError;
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

/// The answer of [`GuardedWriteBackend::write_if_held`] (and of
/// [`crate::LockHandle::write`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The lock was held by the writer's token (and its fence, when given, was not below the
    /// highest recorded for the data key): the value is written.
    Written,
    /// The lock was not held by the writer's token (expired, released, taken over): nothing
    /// was written.
    NotHeld,
    /// The writer's fence was below the highest already recorded for the data key: a newer
    /// holder wrote it since. Nothing was written.
    Stale {
        /// The highest fence recorded for the data key.
        highest: FencingToken,
    },
}

/// Data keys written only while a lock is held, checked and written in one atomic step in the
/// store that holds the lock: a writer whose lock expired (a long GC pause, a partition) cannot
/// overwrite what the next holder wrote.
///
/// A backend offers it by setting [`crate::backend::Capabilities::guarded_writes`] and returning
/// `Some(self)` from [`crate::LockBackend::guarded_writes`]; one that does not keeps compiling
/// and passing its suite unchanged. Use it through [`crate::LockHandle::write`],
/// [`crate::LockHandle::write_fenced`] and [`crate::LockManager::read_data`].
///
/// Data keys are store keys of their own (in Redis, plain strings readable with `GET` by any
/// client). A store that shards keys may accept only data keys it can write atomically with the
/// lock ([`GuardedWriteBackend::check_data_key`]); [`GuardedWriteBackend::data_key`] names keys
/// that are always accepted.
#[async_trait]
pub trait GuardedWriteBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The data key called `name` that belongs to the lock at `key`.
    ///
    /// # Behavior
    /// - D1: No I/O; the same `key` and `name` always give the same data key, different names
    ///   or locks give different ones, and [`GuardedWriteBackend::check_data_key`] accepts it.
    ///   Every data key of a lock starts with `data_key(key, "")`: the manager refuses keys
    ///   under the lock's prefix that do not (they may be lock keys or the layout's).
    /// - D2: It is never a lock key, nor any other key the backend uses for its locks. (D2 and
    ///   G1's "no expiry" speak of a key-value store; in any store, what matters is D1: no two
    ///   pairs of lock and name share a data key.)
    fn data_key(&self, key: &LockKey, name: &str) -> Vec<u8>;

    /// Whether `data_key` can be written atomically with the lock at `key`; the reason when it
    /// cannot (e.g. another Redis Cluster slot). Defaults to accepting every key.
    ///
    /// # Behavior
    /// - D3: No I/O. [`GuardedWriteBackend::write_if_held`] is only called with accepted keys.
    fn check_data_key(&self, key: &LockKey, data_key: &[u8]) -> Result<(), String> {
        let _ = (key, data_key);
        Ok(())
    }

    /// Writes `value` to `data_key` if `token` holds the lock at `key`.
    ///
    /// # Behavior
    /// - G1: When `token` holds the live lock at `key`, and `fence` is `None` or not below the
    ///   highest fence recorded for `data_key` under this lock, sets `data_key` to `value` (no
    ///   expiry), records `fence` as the highest when given, and returns
    ///   [`WriteOutcome::Written`]. Fences are recorded per pair of lock and data key: a data
    ///   key written under two locks has a record under each.
    /// - G2: When `token` does not hold the lock (free, expired, another holder), returns
    ///   [`WriteOutcome::NotHeld`] and changes nothing.
    /// - G3: When `fence` is below the highest recorded, returns [`WriteOutcome::Stale`] with
    ///   that highest, and changes nothing.
    /// - G4: The check and the write are one atomic step: no other operation on the lock or the
    ///   data key comes between them.
    /// - G5: The recorded fences outlive the lock (a stale holder's fence is refused after the
    ///   lock was released); writes without a fence neither read nor change them.
    /// - G6: The lock itself is not changed (its holder, ttl and fence stay as they were).
    async fn write_if_held(
        &self,
        key: &LockKey,
        token: &LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<FencingToken>,
    ) -> Result<WriteOutcome, BackendError>;

    /// The value at `data_key`, `None` when it was never written.
    ///
    /// # Behavior
    /// - G7: Read-only; needs no lock.
    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;
}
