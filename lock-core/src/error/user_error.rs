//! The error users of the lock API see.

use std::fmt;
use std::time::Duration;

use super::{BackendError, BackendErrorKind};
use crate::key::LockKey;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with a lock. Contention is not here: a lock held by someone
/// else is an `Ok(None)` from a try, or a wait.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before any I/O; `what` names it and `reason` says why.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The argument, e.g. `"ttl"` or `"lock name"`.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// `acquire` gave up: its wait deadline or retry budget ran out while someone else held
    /// the lock.
    #[error("gave up waiting for lock `{key}` after {waited:?} and {attempts} attempts")]
    WaitTimeout {
        /// The lock.
        key: LockKey,
        /// How long the acquire waited.
        waited: Duration,
        /// How many times it asked the store.
        attempts: u32,
    },
    /// The operation needs the lock, and this guard no longer holds it (it expired, was
    /// released, or was taken over).
    #[error("lock `{key}` is no longer held")]
    NotHeld {
        /// The lock.
        key: LockKey,
    },
    /// The lock was lost while work ran under it; the work was stopped.
    #[error("lock `{key}` was lost while the critical section ran: {reason}")]
    Lost {
        /// The lock.
        key: LockKey,
        /// Why it was lost.
        reason: LossReason,
    },
    /// The backend does not offer an operation this call needs.
    #[error("`{operation}` is not supported by the `{backend}` backend")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// The operation.
        operation: &'static str,
    },
    /// The operating system could not supply random bytes for a token; the source is the
    /// random-number call's error.
    #[error("no randomness available for a lock token: {0}")]
    Entropy(#[source] super::BoxError),
    /// The store failed; [`BackendError::is_temporary`] says whether a retry may help.
    #[error(transparent)]
    Backend(BackendError),
}

impl Error {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument { what, reason: reason.into() }
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_temporary(&self) -> bool {
        match self {
            Self::Backend(e) => e.is_temporary(),
            Self::WaitTimeout { .. } => true,
            _ => false,
        }
    }
}

impl From<BackendError> for Error {
    /// Lifts `Unsupported` backend errors to [`Error::Unsupported`]; keeps the rest.
    fn from(e: BackendError) -> Self {
        if e.kind() == BackendErrorKind::Unsupported {
            let operation = e.operation().unwrap_or("operation");
            return Self::Unsupported { backend: e.backend(), operation };
        }
        Self::Backend(e)
    }
}

/// Why a guard stopped holding its lock.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossReason {
    /// The validity deadline passed without a successful extension.
    Expired,
    /// The store said the key is no longer ours (deleted, expired there, or taken over).
    NotHeld,
    /// The guard was released.
    Released,
    /// Auto-refresh stopped at the maximum hold time and the lock then ran out.
    MaxHoldReached,
    /// Refreshing failed with an error that retrying cannot fix.
    Backend(BackendErrorKind),
    /// The upgradeable read was upgraded: its hold goes on as the write guard's (see
    /// [`crate::RwLock::upgrade`]).
    Upgraded,
}

impl fmt::Display for LossReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expired => f.write_str("its validity ran out before it could be extended"),
            Self::NotHeld => f.write_str("the store no longer has it under this holder"),
            Self::Released => f.write_str("it was released"),
            Self::Upgraded => f.write_str("it was upgraded: the write guard holds it now"),
            Self::MaxHoldReached => f.write_str("it reached its maximum hold time"),
            Self::Backend(kind) => write!(f, "extending it failed: {kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_entropy_failure_keeps_its_source() {
        let cause = std::io::Error::other("no entropy device");
        let e = Error::Entropy(Box::new(cause));
        assert!(e.source().is_some_and(|s| s.to_string() == "no entropy device"));
        assert_eq!(e.to_string(), "no randomness available for a lock token: no entropy device");
    }
}
