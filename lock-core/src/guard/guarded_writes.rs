//! Asking the store about a held lock, and writing only while it is held.

use tracing::Instrument;

use super::LockHandle;
use crate::backend::{GuardedWriteBackend, WriteOutcome};
use crate::call_timeout::within;
use crate::error::{Error, LossReason, Result};
use crate::key::{LockKey, MAX_NAME_LEN};

/// The guarded writes of the store where `key`'s lease lives, or `Unsupported` when its
/// capabilities do not offer them (or it offers them without the trait).
pub(crate) fn writes_of<'a>(
    store: &'a crate::backend::DynLockBackend,
    backend: &'static str,
) -> Result<&'a dyn GuardedWriteBackend> {
    let unsupported = Error::Unsupported { backend, operation: "guarded writes" };
    if !store.info().capabilities.guarded_writes {
        return Err(unsupported);
    }
    store.guarded_writes().ok_or(unsupported)
}

/// Checks a data key's name: 1 to [`MAX_NAME_LEN`] bytes.
pub(crate) fn check_data_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "data key name",
            format!("must be 1 to {MAX_NAME_LEN} bytes, not {}", name.len()),
        ));
    }
    Ok(())
}

/// Checks that `data_key` can be written with the lock at `key`, before any I/O.
///
/// Keys under the lock's prefix are the lock layout's (lock keys, and the backend's counters,
/// queues, metadata and fence records): a write there could take another holder's lock or make
/// one immortal. Only this lock's own data keys ([`GuardedWriteBackend::data_key`], which all
/// start with `data_key(key, "")`, D1) are accepted under the prefix; with an empty prefix that
/// is every key but them.
fn check_data_key(writes: &dyn GuardedWriteBackend, key: &LockKey, data_key: &[u8]) -> Result<()> {
    if data_key.is_empty() {
        return Err(Error::invalid("data key", "must not be empty"));
    }
    if data_key.starts_with(key.prefix()) && !data_key.starts_with(&writes.data_key(key, "")) {
        return Err(Error::invalid(
            "data key",
            format!(
                "`{}` is under the lock prefix `{}`, where lock keys and the lock layout live; \
                 write outside the prefix, or name the key with data_key(name)",
                String::from_utf8_lossy(data_key),
                String::from_utf8_lossy(key.prefix()),
            ),
        ));
    }
    writes.check_data_key(key, data_key).map_err(|reason| Error::invalid("data key", reason))
}

impl LockHandle {
    /// Asks the store whether this guard still holds the lock: `Ok(true)` when its token is the
    /// holder right now. Unlike [`LockHandle::is_valid`], which looks only at this process's
    /// deadline, this is a round trip; it sees a lock that was taken over, deleted by hand or
    /// lost in a failover before the deadline says so. A `false` marks the guard lost
    /// ([`crate::LossReason::NotHeld`]).
    ///
    /// A `true` is a fact about the moment the store answered: use a guarded write
    /// ([`LockHandle::write`]) or a fencing token to make a later write safe.
    pub async fn verify(&self) -> Result<bool> {
        let shared = &self.shared;
        let span = tracing::debug_span!("lock.verify", key = %shared.key);
        let call = shared.store.holds(&shared.key, &shared.token);
        let limit = self.manager.config.call_timeout;
        let held = within(shared.backend, limit, call).instrument(span).await?;
        if !held {
            shared.mark_lost(LossReason::NotHeld);
        }
        Ok(held)
    }

    /// The data key called `name` that belongs to this lock, for [`LockHandle::write`]: on a
    /// Redis Cluster it is in the lock's slot, so it is always accepted. Errors before any I/O
    /// with [`Error::InvalidArgument`] for an empty or over-long name, and with
    /// [`Error::Unsupported`] when the backend offers no guarded writes.
    pub fn data_key(&self, name: &str) -> Result<Vec<u8>> {
        check_data_name(name)?;
        let writes = writes_of(self.shared.store.as_ref(), self.shared.backend)?;
        Ok(writes.data_key(&self.shared.key, name))
    }

    /// Writes `value` to `data_key` only if this guard still holds the lock, checked and
    /// written in one atomic step in the store (see [`GuardedWriteBackend::write_if_held`]).
    ///
    /// Returns [`WriteOutcome::Written`], or [`WriteOutcome::NotHeld`] (nothing written; the
    /// guard is marked lost). Errors before any I/O with [`Error::InvalidArgument`] for a data
    /// key the store cannot write with the lock (on a Redis Cluster, one in another slot: name
    /// it with [`LockHandle::data_key`] or a hash tag), for a key under the lock's prefix that
    /// is not one of this lock's data keys (lock keys and the lock layout live there: with the
    /// default prefix `lock:`, `lock:orders` is refused and `orders` accepted; with an empty
    /// prefix only [`LockHandle::data_key`]'s keys are), and with [`Error::Unsupported`] when
    /// the backend offers no guarded writes (a [`crate::Quorum`], a semaphore's permit).
    pub async fn write(
        &self,
        data_key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<WriteOutcome> {
        self.write_with(data_key.as_ref(), value.as_ref(), false).await
    }

    /// [`LockHandle::write`], and also refused with [`WriteOutcome::Stale`] when this guard's
    /// fencing token is below the highest one a write to `data_key` under this lock carried: a
    /// holder whose lock expired cannot overwrite what a later holder wrote, even where the
    /// store's view of the lock could be stale. Errors with [`Error::Unsupported`] when this
    /// guard has no fencing token.
    pub async fn write_fenced(
        &self,
        data_key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<WriteOutcome> {
        self.write_with(data_key.as_ref(), value.as_ref(), true).await
    }

    async fn write_with(
        &self,
        data_key: &[u8],
        value: &[u8],
        fenced: bool,
    ) -> Result<WriteOutcome> {
        let shared = &self.shared;
        let writes = writes_of(shared.store.as_ref(), shared.backend)?;
        check_data_key(writes, &shared.key, data_key)?;
        let fence = match (fenced, shared.fencing) {
            (false, _) => None,
            (true, Some(fence)) => Some(fence),
            (true, None) => {
                return Err(Error::Unsupported {
                    backend: shared.backend,
                    operation: "fenced writes without a fencing token",
                });
            }
        };
        let span = tracing::debug_span!("lock.write", key = %shared.key, fenced);
        let call = writes.write_if_held(&shared.key, &shared.token, data_key, value, fence);
        let limit = self.manager.config.call_timeout;
        let outcome = within(shared.backend, limit, call).instrument(span).await?;
        if outcome == WriteOutcome::NotHeld {
            shared.mark_lost(LossReason::NotHeld);
        }
        Ok(outcome)
    }
}
