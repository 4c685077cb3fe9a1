//! `Handover`: a held lock passed on, explicitly, to another owner.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::backend::DynLockBackend;
use crate::error::{Error, Result};
use crate::fencing::FencingToken;
use crate::key::LockKey;
use crate::token::LockToken;

/// A lock taken out of its guard by [`crate::LockGuard::leak`], to be taken up again by
/// [`crate::LockManager::adopt`] (in this process or, through [`Handover::into_parts`], in
/// another) or released by [`crate::LockManager::release_handover`].
///
/// It is the only way to act on a lock without its guard, and it is consumed by use, so one
/// leaked guard becomes at most one adopted guard. It holds the lock's token, a credential:
/// `Debug` shows only its first characters.
///
/// ```
/// use std::time::Duration;
/// use lock_core::{LockManager, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), lock_core::Error> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let guard = locks.try_lock("jobs:7", Duration::from_secs(10)).await?.expect("free");
/// let fence = guard.fencing_token();
/// let handover = guard.leak(); // the lock stays held, nobody refreshes or releases it
///
/// // Later, or in a worker task: take it up again with the same fencing token.
/// let guard = locks.adopt(handover).ttl(Duration::from_secs(10)).try_acquire().await?;
/// let guard = guard.expect("still ours");
/// assert_eq!(guard.fencing_token(), fence);
/// guard.release().await?;
/// # Ok(())
/// # }
/// ```
pub struct Handover {
    key: LockKey,
    token: LockToken,
    fencing: Option<FencingToken>,
    /// Where a hold of another kind lives (a permit, a reader-writer hold, a fair lock, a lock
    /// with metadata): adopting and releasing go there, so the kind is kept. `None` for a lock.
    store: Option<Arc<DynLockBackend>>,
    /// Until when an extension of the leaked guard may still land, and the shortest ttl it
    /// may set (see [`crate::LockGuard::leak`]).
    landing: Option<(Instant, Duration)>,
}

impl Handover {
    pub(crate) fn new(
        key: LockKey,
        token: LockToken,
        fencing: Option<FencingToken>,
        store: Option<Arc<DynLockBackend>>,
        landing: Option<(Instant, Duration)>,
    ) -> Self {
        Self { key, token, fencing, store, landing }
    }

    /// Rebuilds a handover of a lock from its parts, as received from another process. Anyone
    /// who has these parts can release the lock or take it up: pass them only over a trusted
    /// channel. The fencing token is not among the parts: the adopted guard gets it from the
    /// store (a same-token re-acquire keeps its fence, A3).
    pub fn from_parts(key: LockKey, token: LockToken) -> Self {
        Self { key, token, fencing: None, store: None, landing: None }
    }

    /// Splits the handover of a lock into its key and its token, to send them to another
    /// process (which rebuilds it with [`Handover::from_parts`]). The token is a credential.
    ///
    /// The parts do not carry the extensions of the leaked guard that may still land (see
    /// [`crate::LockGuard::leak`]): the other process should adopt with a ttl no longer than
    /// the leaked guard's, or wait two call timeouts after the leak before trusting a longer one.
    ///
    /// Errors with [`Error::InvalidArgument`] for the handover of a permit, a reader-writer
    /// hold, a fair lock or a lock with metadata: the parts do not carry its kind, and taken up
    /// as a plain lock it would be another lock. Adopt or release those in this process.
    pub fn into_parts(self) -> Result<(LockKey, LockToken)> {
        if self.store.is_some() {
            return Err(Error::invalid(
                "handover",
                "only a plain lock's handover can go to another process; a permit, a \
                 reader-writer hold, a fair lock or a lock with metadata is adopted or released \
                 in the process that leaked it",
            ));
        }
        Ok((self.key, self.token))
    }

    /// The parts, where the hold lives (`None`: the manager's backend) and the leaked guard's
    /// extensions that may still land, for adopting and releasing it.
    pub(crate) fn into_hold(self) -> Hold {
        Hold { key: self.key, token: self.token, store: self.store, landing: self.landing }
    }

    /// The lock's key.
    pub fn key(&self) -> &LockKey {
        &self.key
    }

    /// The fencing token of the acquisition that was leaked (`None` after
    /// [`Handover::from_parts`]).
    pub fn fencing_token(&self) -> Option<FencingToken> {
        self.fencing
    }
}

/// A handover taken apart, for adopting or releasing it.
pub(crate) struct Hold {
    pub(crate) key: LockKey,
    pub(crate) token: LockToken,
    pub(crate) store: Option<Arc<DynLockBackend>>,
    pub(crate) landing: Option<(Instant, Duration)>,
}

impl fmt::Debug for Handover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handover")
            .field("key", &self.key)
            .field("token", &self.token)
            .field("fencing", &self.fencing)
            .finish()
    }
}
