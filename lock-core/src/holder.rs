//! What read APIs show of a lock's holder: an identity that cannot act as the holder.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::time::Duration;

use crate::fencing::FencingToken;
use crate::token::LockToken;

/// Who holds a lock, as [`crate::LockManager::info`] and [`crate::LockHandle::holder`] show it:
/// a fingerprint of the holder's token.
///
/// The token itself is a credential (whoever presents it can release or extend the lock), so
/// no read API returns it. The fingerprint tells holders apart and lets a process recognise its
/// own guards (`locks.info(name)?.map(|s| s.holder) == Some(guard.holder())`), but it cannot be
/// turned back into the token: it is a keyed hash whose key is drawn at random in each process,
/// so fingerprints are comparable only within one process.
///
/// ```
/// use lock_core::{HolderId, LockToken};
/// let token = LockToken::generate()?;
/// assert_eq!(HolderId::of(&token), HolderId::of(&token));
/// assert_ne!(HolderId::of(&token), HolderId::of(&LockToken::generate()?));
/// assert!(!HolderId::of(&token).to_string().contains(token.as_str().unwrap_or("")));
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolderId(u64);

impl HolderId {
    /// The fingerprint of `token` in this process.
    pub fn of(token: &LockToken) -> Self {
        static KEY: OnceLock<RandomState> = OnceLock::new();
        Self(KEY.get_or_init(RandomState::new).hash_one(token.as_bytes()))
    }
}

impl fmt::Display for HolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for HolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HolderId({self})")
    }
}

/// A lock as [`crate::LockManager::info`] reports it: who holds it (as a [`HolderId`], never
/// the token), for how long still, its fencing token, and the metadata it stored.
///
/// Two names on purpose: [`crate::backend::LockInfo`] is what a backend reports, holder's token
/// included (the manager needs it to compare); `LockState` is what a user of the manager
/// sees, with the token replaced by its [`HolderId`], so that reading a lock never hands out
/// what releases it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockState {
    /// The holder's identity.
    pub holder: HolderId,
    /// The time the lock has left; `None` when the key has no expiry.
    pub ttl_remaining: Option<Duration>,
    /// The holder's fencing token, when the backend issues them.
    pub fencing: Option<FencingToken>,
    /// What the holder stored with the lock ([`crate::LockRequest::metadata`]), when it did
    /// and the backend offers metadata.
    pub metadata: Option<crate::metadata::Metadata>,
}

impl LockState {
    pub(crate) fn of(info: &crate::backend::LockInfo) -> Self {
        Self {
            holder: HolderId::of(&info.holder),
            ttl_remaining: info.ttl_remaining,
            fencing: info.fencing,
            metadata: None,
        }
    }
}
