//! What the primitives answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::fencing::FencingToken;
use crate::token::LockToken;

/// The answer of [`crate::LockBackend::try_acquire`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquireOutcome {
    /// The caller's token now holds the key.
    Acquired {
        /// This acquisition's fencing token, when the backend advertises fencing.
        fencing: Option<FencingToken>,
    },
    /// Another token holds the key.
    Held {
        /// How long the holder's lock has left, when known; `None` when the key has no expiry
        /// or the backend cannot tell.
        ttl_remaining: Option<Duration>,
    },
}

/// The answer of [`crate::LockBackend::release`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// The key held the token and is now deleted.
    Released,
    /// The key did not hold the token (expired, taken over, released already, or never held);
    /// nothing was changed.
    NotHeld,
}

/// The answer of [`crate::LockBackend::extend`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtendOutcome {
    /// The key held the token and its ttl is now the requested one.
    Extended,
    /// The key did not hold the token; nothing was changed (an expired lock is not re-created).
    NotHeld,
}

/// A lock as [`crate::LockBackend::inspect`] sees it, holder's token included. Users of the
/// manager see [`crate::LockState`] instead, which never carries the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// The holder's token (it may come from another library, so any value is possible).
    pub holder: LockToken,
    /// The time the lock has left; `None` when the key has no expiry.
    pub ttl_remaining: Option<Duration>,
    /// The fencing token of the current holder, when the backend advertises fencing.
    pub fencing: Option<FencingToken>,
}

/// A future that resolves when a key may have been released; see
/// [`crate::LockBackend::watch_release`]. Dropping it ends the watch.
pub type ReleaseWatch = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
