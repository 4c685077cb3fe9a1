//! Fencing tokens: numbers that grow with every acquisition of a key.

use std::fmt;

/// A number handed out with every acquisition of a key, strictly greater than the one of every
/// earlier acquisition of that key, across releases, expiries and takeovers.
///
/// Pass it to the resource you protect and have the resource reject any write carrying a
/// number lower than the highest it has seen: a holder that was paused past its lease then
/// cannot overwrite the work of its successor. Only backends that advertise
/// [`crate::backend::Capabilities::fencing`] issue them.
///
/// ```
/// use lock_core::FencingToken;
/// assert!(FencingToken::new(7) < FencingToken::new(8));
/// assert_eq!(FencingToken::new(7).to_string(), "7");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FencingToken(u64);

impl FencingToken {
    /// Wraps a raw counter value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The raw counter value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<FencingToken> for u64 {
    fn from(token: FencingToken) -> u64 {
        token.0
    }
}
