//! Holder tokens: the secret that proves ownership of a lock.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::key::Printable;

/// Random bytes in a minted token (128 bits).
pub const TOKEN_RANDOM_BYTES: usize = 16;

/// The shortest token a caller may supply, in bytes.
pub const MIN_USER_TOKEN_LEN: usize = 16;

/// The longest token a caller may supply, in bytes.
pub const MAX_USER_TOKEN_LEN: usize = 512;

/// The value stored in a lock key: whoever presents it may release or extend the lock.
///
/// Minted tokens are 128 bits from the operating system's random source, written as 32
/// lowercase hex characters, so they read well in `redis-cli` and compare as plain strings
/// with other libraries. A token is a credential: `Debug` shows only its first characters,
/// and there is no `Display`. Cloning is cheap.
///
/// ```
/// use lock_core::LockToken;
/// let token = LockToken::generate()?;
/// assert_eq!(token.as_bytes().len(), 32);
/// assert!(!format!("{token:?}").contains(token.as_str().unwrap_or("")));
/// assert!(LockToken::from_user("too short").is_err());
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LockToken(Arc<[u8]>);

impl LockToken {
    /// Mints a new token from 128 bits of OS randomness.
    ///
    /// Errors with [`Error::Entropy`] only if the operating system cannot supply random bytes.
    pub fn generate() -> Result<Self, Error> {
        let mut raw = [0u8; TOKEN_RANDOM_BYTES];
        crate::entropy::fill(&mut raw).map_err(|e| Error::Entropy(Box::new(e)))?;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; TOKEN_RANDOM_BYTES * 2];
        for (i, b) in raw.iter().enumerate() {
            text[2 * i] = HEX[usize::from(b >> 4)];
            text[2 * i + 1] = HEX[usize::from(b & 0x0f)];
        }
        Ok(Self(Arc::from(&text[..])))
    }

    /// Wraps a token chosen by the caller, for example one handed over by another process.
    ///
    /// It must be [`MIN_USER_TOKEN_LEN`]..=[`MAX_USER_TOKEN_LEN`] bytes; it should be at least
    /// as unguessable as a minted one, since anyone who knows it can release the lock.
    pub fn from_user(token: impl AsRef<[u8]>) -> Result<Self, Error> {
        let token = token.as_ref();
        if !(MIN_USER_TOKEN_LEN..=MAX_USER_TOKEN_LEN).contains(&token.len()) {
            return Err(Error::invalid(
                "token",
                format!(
                    "{} bytes is outside the accepted {MIN_USER_TOKEN_LEN}..={MAX_USER_TOKEN_LEN}",
                    token.len()
                ),
            ));
        }
        Ok(Self(token.into()))
    }

    /// Wraps a value read back from a store, unvalidated: a lock taken by another library may
    /// hold any string. Backends use this in [`crate::LockBackend::inspect`].
    pub fn from_stored(value: impl AsRef<[u8]>) -> Self {
        Self(value.as_ref().into())
    }

    /// The token bytes, as stored.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The token as text, when it is UTF-8 (minted tokens always are).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// A short, loggable prefix of the token (6 characters then `…`): enough to tell holders
    /// apart, too little to release their locks.
    pub fn redacted(&self) -> String {
        const SHOWN: usize = 6;
        let shown = &self.0[..self.0.len().min(SHOWN)];
        format!("{}…", Printable(shown))
    }
}

impl fmt::Debug for LockToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockToken({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn minted_tokens_are_hex_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let t = LockToken::generate().expect("entropy");
            assert!(t.as_bytes().iter().all(|b| b.is_ascii_hexdigit()));
            assert!(seen.insert(t));
        }
    }

    #[test]
    fn user_tokens_are_bounded() {
        assert!(LockToken::from_user([1u8; MIN_USER_TOKEN_LEN - 1]).is_err());
        assert!(LockToken::from_user([1u8; MIN_USER_TOKEN_LEN]).is_ok());
        assert!(LockToken::from_user(vec![1u8; MAX_USER_TOKEN_LEN + 1]).is_err());
    }

    #[test]
    fn debug_never_shows_the_whole_token() {
        let t = LockToken::generate().expect("entropy");
        let shown = format!("{t:?}");
        assert!(!shown.contains(t.as_str().expect("hex")));
        assert!(shown.contains(&t.as_str().expect("hex")[..6]));
    }
}
