//! Lock keys: a validated lock name under a namespace prefix.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;

/// The prefix every key gets unless the manager is told otherwise; Go locks built on
/// `SET lock:<name> <token> NX PX` and python-redis-lock use it too, so their locks and ours
/// exclude each other on one Redis.
pub const DEFAULT_PREFIX: &str = "lock:";

/// The longest lock name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 4096;

/// The longest key prefix accepted, in bytes.
pub const MAX_PREFIX_LEN: usize = 256;

/// Neither lock names nor key prefixes may contain this byte (so no name starts with it):
/// backends mark their auxiliary keys with it (fencing counters, wake-up channels at
/// `<prefix>~...`), so no lock key, under any prefix, can be one of them.
pub const RESERVED_NAME_START: u8 = b'~';

/// A validated key prefix (namespace), `lock:` by default.
///
/// A prefix is at most [`MAX_PREFIX_LEN`] bytes and contains no `{` or `}` (a brace in the
/// prefix would become a Redis Cluster hash tag and move auxiliary keys away from their lock's
/// slot) and no `~` ([`RESERVED_NAME_START`], which marks auxiliary keys). The empty prefix is
/// allowed.
///
/// ```
/// use lock_core::KeyPrefix;
/// let prefix = KeyPrefix::new("myapp:lock:")?;
/// assert_eq!(prefix.as_bytes(), b"myapp:lock:");
/// assert!(KeyPrefix::new("{tag}:").is_err());
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyPrefix(Arc<[u8]>);

impl KeyPrefix {
    /// Validates `prefix`. Errors with [`Error::InvalidArgument`] when it is too long or holds a
    /// brace or a `~`.
    pub fn new(prefix: impl AsRef<[u8]>) -> Result<Self, Error> {
        let prefix = prefix.as_ref();
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(Error::invalid(
                "key prefix",
                format!("{} bytes is longer than the limit of {MAX_PREFIX_LEN}", prefix.len()),
            ));
        }
        if prefix.iter().any(|b| *b == b'{' || *b == b'}') {
            return Err(Error::invalid(
                "key prefix",
                "a prefix may not contain `{` or `}`: Redis Cluster would read it as a hash tag",
            ));
        }
        if prefix.contains(&RESERVED_NAME_START) {
            return Err(Error::invalid(
                "key prefix",
                "a prefix may not contain `~`: it marks the library's auxiliary keys",
            ));
        }
        Ok(Self(prefix.into()))
    }

    /// The prefix bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Builds the key for `name` under this prefix; see [`LockKey::new`].
    pub fn key(&self, name: impl AsRef<[u8]>) -> Result<LockKey, Error> {
        LockKey::new(self, name)
    }
}

impl Default for KeyPrefix {
    fn default() -> Self {
        Self(DEFAULT_PREFIX.as_bytes().into())
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPrefix(\"{}\")", Printable(&self.0))
    }
}

/// The key a lock lives under: `<prefix><name>`, validated.
///
/// Names are arbitrary bytes (UTF-8 text is the common case): non-empty, at most
/// [`MAX_NAME_LEN`] bytes, and without `~` ([`RESERVED_NAME_START`]) anywhere. Braces, glob
/// characters, spaces and non-ASCII text are all fine and stay distinct. Cloning is cheap.
///
/// ```
/// use lock_core::LockKey;
/// let key = LockKey::with_default_prefix("jobs:42")?;
/// assert_eq!(key.as_bytes(), b"lock:jobs:42");
/// assert_eq!(key.name(), b"jobs:42");
/// assert!(LockKey::with_default_prefix("").is_err());
/// # Ok::<(), lock_core::Error>(())
/// ```
///
/// Two keys are equal when their bytes are (the whole key, A6), wherever their prefixes end:
/// prefix `a` with name `bc` is the key of prefix `ab` with name `c`.
#[derive(Clone)]
pub struct LockKey {
    full: Arc<[u8]>,
    prefix_len: usize,
}

impl PartialEq for LockKey {
    fn eq(&self, other: &Self) -> bool {
        self.full == other.full
    }
}

impl Eq for LockKey {}

impl std::hash::Hash for LockKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.full.hash(state);
    }
}

impl PartialOrd for LockKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LockKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.full.cmp(&other.full)
    }
}

impl LockKey {
    /// Validates `name` and joins it to `prefix`.
    ///
    /// Errors with [`Error::InvalidArgument`] for an empty name, one longer than
    /// [`MAX_NAME_LEN`] bytes, or one containing `~`.
    pub fn new(prefix: &KeyPrefix, name: impl AsRef<[u8]>) -> Result<Self, Error> {
        let name = name.as_ref();
        if name.is_empty() {
            return Err(Error::invalid("lock name", "the name is empty"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::invalid(
                "lock name",
                format!("{} bytes is longer than the limit of {MAX_NAME_LEN}", name.len()),
            ));
        }
        if name.contains(&RESERVED_NAME_START) {
            return Err(Error::invalid(
                "lock name",
                "a name may not contain `~`: it marks the library's auxiliary keys",
            ));
        }
        let mut full = Vec::with_capacity(prefix.0.len() + name.len());
        full.extend_from_slice(&prefix.0);
        full.extend_from_slice(name);
        Ok(Self { full: full.into(), prefix_len: prefix.0.len() })
    }

    /// [`LockKey::new`] under the default prefix `lock:`.
    pub fn with_default_prefix(name: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::new(&KeyPrefix::default(), name)
    }

    /// The whole key as the store sees it: prefix then name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.full
    }

    /// The lock name, without the prefix.
    pub fn name(&self) -> &[u8] {
        &self.full[self.prefix_len..]
    }

    /// The namespace prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.full[..self.prefix_len]
    }
}

impl fmt::Display for LockKey {
    /// Prints the key as text, escaping control characters and invalid UTF-8 and shortening
    /// very long keys, so it is safe to log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Printable(&self.full))
    }
}

impl fmt::Debug for LockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockKey(\"{}\")", Printable(&self.full))
    }
}

/// Renders bytes as escaped text, cut after a few hundred characters.
pub(crate) struct Printable<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 200;
        let bytes = self.0;
        let cut = bytes.len() > SHOWN;
        let shown = if cut { &bytes[..SHOWN] } else { bytes };
        for chunk in shown.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() || c == '"' || c == '\\' {
                    write!(f, "{}", c.escape_debug())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        if cut {
            write!(f, "…({} bytes)", bytes.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        let p = KeyPrefix::default();
        assert!(LockKey::new(&p, "").is_err());
        assert!(LockKey::new(&p, "~fence").is_err());
        assert!(LockKey::new(&p, "a~").is_err());
        assert!(LockKey::new(&p, "a:~fence{t}x").is_err());
        assert!(LockKey::new(&p, vec![b'x'; MAX_NAME_LEN]).is_ok());
        assert!(LockKey::new(&p, vec![b'x'; MAX_NAME_LEN + 1]).is_err());
        assert!(LockKey::new(&p, [0u8, 0xff, b'\n']).is_ok());
    }

    #[test]
    fn prefix_rules() {
        assert!(KeyPrefix::new("").is_ok());
        assert!(KeyPrefix::new("a}").is_err());
        assert!(KeyPrefix::new("a~").is_err());
        assert!(KeyPrefix::new(vec![b'p'; MAX_PREFIX_LEN + 1]).is_err());
        let k = KeyPrefix::new("x:").and_then(|p| p.key("y"));
        assert_eq!(k.map(|k| k.as_bytes().to_vec()).ok(), Some(b"x:y".to_vec()));
    }

    #[test]
    fn display_escapes_and_shortens() {
        let k = LockKey::with_default_prefix([b'a', b'\n', 0xff]).map(|k| k.to_string());
        assert_eq!(k.ok().as_deref(), Some("lock:a\\n\\xff"));
        let long = LockKey::with_default_prefix(vec![b'z'; 1000]).map(|k| k.to_string());
        assert!(long.ok().is_some_and(|s| s.ends_with("…(1005 bytes)")));
    }
}
