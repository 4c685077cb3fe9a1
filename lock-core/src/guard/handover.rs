//! `Handover`: a held lock passed on, explicitly, to another owner.

use std::fmt;

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
}

impl Handover {
    pub(crate) fn new(key: LockKey, token: LockToken, fencing: Option<FencingToken>) -> Self {
        Self { key, token, fencing }
    }

    /// Rebuilds a handover from its parts, as received from another process. Anyone who has
    /// these parts can release the lock or take it up: pass them only over a trusted channel.
    pub fn from_parts(key: LockKey, token: LockToken) -> Self {
        Self { key, token, fencing: None }
    }

    /// Splits the handover into the lock's key and its token, to send them to another process
    /// (which rebuilds it with [`Handover::from_parts`]). The token is a credential.
    pub fn into_parts(self) -> (LockKey, LockToken) {
        (self.key, self.token)
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

    pub(crate) fn token(&self) -> &LockToken {
        &self.token
    }
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
