//! `Metadata`: a small, bounded description of a lock's holder, stored with the lock.

use std::fmt;

use crate::error::{Error, Result};

/// The most fields a [`Metadata`] holds.
pub const MAX_METADATA_FIELDS: usize = 16;
/// The longest field name, in bytes.
pub const MAX_METADATA_NAME_LEN: usize = 64;
/// The longest field value, in bytes.
pub const MAX_METADATA_VALUE_LEN: usize = 256;

/// What a holder says about itself (owner, host, pid, purpose...), written atomically with the
/// acquisition, shown by [`crate::LockManager::info`] and `lockctl info`, refreshed with the
/// lock and removed with it. Set it with [`crate::LockRequest::metadata`].
///
/// Up to [`MAX_METADATA_FIELDS`] fields, each a name of 1 to [`MAX_METADATA_NAME_LEN`] ASCII
/// letters, digits, `_`, `-` or `.`, and a UTF-8 value of at most [`MAX_METADATA_VALUE_LEN`]
/// bytes; names are unique (setting one again replaces its value) and kept in the order first
/// set. Anything else is an [`Error::InvalidArgument`] when the field is set, before any I/O.
///
/// ```
/// use lock_core::Metadata;
///
/// let meta = Metadata::new().with("owner", "billing")?.with("purpose", "nightly invoices")?;
/// assert_eq!(meta.get("owner"), Some("billing"));
/// assert!(Metadata::new().with("bad name", "x").is_err());
/// assert!(Metadata::new().with("note", "x".repeat(257)).is_err());
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Metadata {
    fields: Vec<(String, String)>,
}

impl Metadata {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// This process: `pid` and, when the system names it, `host` (from `HOSTNAME` or
    /// `/etc/hostname`).
    pub fn this_process() -> Self {
        let mut meta = Self::new();
        let _ = meta.insert("pid", std::process::id().to_string());
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
        if let Some(host) = host {
            // A host name too long for a field is left out rather than cut.
            let _ = meta.insert("host", host);
        }
        meta
    }

    /// Builds metadata from `(name, value)` pairs, checking each (for backends reading it back).
    pub fn from_fields<N, V>(fields: impl IntoIterator<Item = (N, V)>) -> Result<Self>
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut meta = Self::new();
        for (name, value) in fields {
            meta.insert(name, value)?;
        }
        Ok(meta)
    }

    /// Adds or replaces a field; see the type's limits.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        self.insert(name, value)?;
        Ok(self)
    }

    /// Adds or replaces a field in place; see the type's limits. On error nothing changes.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<()> {
        let (name, value) = (name.into(), value.into());
        check_name(&name)?;
        if value.len() > MAX_METADATA_VALUE_LEN {
            return Err(Error::invalid(
                "metadata value",
                format!("`{name}` is {} bytes, more than {MAX_METADATA_VALUE_LEN}", value.len()),
            ));
        }
        if let Some(field) = self.fields.iter_mut().find(|(n, _)| *n == name) {
            field.1 = value;
            return Ok(());
        }
        if self.fields.len() == MAX_METADATA_FIELDS {
            return Err(Error::invalid(
                "metadata",
                format!("more than {MAX_METADATA_FIELDS} fields (adding `{name}`)"),
            ));
        }
        self.fields.push((name, value));
        Ok(())
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The fields, in the order first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

fn check_name(name: &str) -> Result<()> {
    let valid_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if name.is_empty() || name.len() > MAX_METADATA_NAME_LEN || !name.bytes().all(valid_char) {
        return Err(Error::invalid(
            "metadata field name",
            format!(
                "`{name}` must be 1 to {MAX_METADATA_NAME_LEN} ASCII letters, digits, `_`, `-` or `.`"
            ),
        ));
    }
    Ok(())
}

impl fmt::Display for Metadata {
    /// `name=value` pairs separated by spaces, values quoted when they contain a space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if value.contains(char::is_whitespace) || value.is_empty() {
                write!(f, "{name}={value:?}")?;
            } else {
                write!(f, "{name}={value}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_exact() {
        let name = "n".repeat(MAX_METADATA_NAME_LEN);
        assert!(Metadata::new().with(&name, "v".repeat(MAX_METADATA_VALUE_LEN)).is_ok());
        assert!(Metadata::new().with(format!("{name}n"), "v").is_err());
        assert!(Metadata::new().with("n", "v".repeat(MAX_METADATA_VALUE_LEN + 1)).is_err());
        assert!(Metadata::new().with("", "v").is_err());
        for bad in ["~token", "a b", "é", "a:b"] {
            assert!(Metadata::new().with(bad, "v").is_err(), "{bad} accepted");
        }
        for good in ["a_b", "a-b", "a.b", "A9"] {
            assert!(Metadata::new().with(good, "v").is_ok(), "{good} refused");
        }
        let mut full = Metadata::new();
        for i in 0..MAX_METADATA_FIELDS {
            full.insert(format!("f{i}"), "v").expect("room");
        }
        assert!(full.insert("one-more", "v").is_err());
        assert_eq!(full.len(), MAX_METADATA_FIELDS);
        // Replacing a field of a full set is fine.
        full.insert("f0", "w").expect("replace");
        assert_eq!(full.get("f0"), Some("w"));
    }

    #[test]
    fn order_and_display() {
        let meta = Metadata::new().with("b", "1").and_then(|m| m.with("a", "two words"));
        let meta = meta.expect("valid");
        assert_eq!(meta.iter().collect::<Vec<_>>(), [("b", "1"), ("a", "two words")]);
        assert_eq!(meta.to_string(), "b=1 a=\"two words\"");
        assert!(!meta.is_empty());
        assert!(Metadata::this_process().get("pid").is_some());
    }
}
