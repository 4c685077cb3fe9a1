//! How locks are shown: escaped names, whole holders, ttls, aligned tables.

use std::fmt::Write as _;
use std::time::Duration;

use std::collections::BTreeMap;

use lock_redis::{LockToken, Metadata, lock_core::backend::LockInfo};
use serde::Serialize;

/// One live lock as `list` prints it (and `--json` encodes it).
#[derive(Debug, Serialize)]
pub(crate) struct LockView {
    /// The lock name without the prefix: exact when it is UTF-8, else [`printable`].
    pub(crate) name: String,
    /// `lock`; for semaphores `permit`, for reader-writer locks `read`, `upgradeable` or
    /// `write` (one row per holder).
    pub(crate) kind: &'static str,
    /// The holder's whole token, as stored ([`holder`]).
    pub(crate) holder: String,
    /// Remaining ttl in milliseconds; `null` when the key has no expiry.
    pub(crate) ttl_ms: Option<u64>,
    /// The value of the lock's fencing counter, when it has one.
    pub(crate) fencing: Option<u64>,
    /// The metadata its holder stored with it (plain locks), field by field.
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

impl LockView {
    /// The view of one holder of `name` in the way `kind` says.
    pub(crate) fn holding(name: &[u8], kind: &'static str, info: &LockInfo) -> Self {
        Self {
            name: exact_or_printable(name),
            kind,
            holder: holder(&info.holder),
            ttl_ms: info.ttl_remaining.map(millis),
            fencing: info.fencing.map(|f| f.get()),
            metadata: None,
        }
    }

    /// With the metadata its holder stored.
    pub(crate) fn with_metadata(mut self, metadata: Option<&Metadata>) -> Self {
        self.metadata = metadata.map(metadata_map);
        self
    }

    /// The row of the table: name, kind, holder, ttl, fencing.
    pub(crate) fn row(&self, name: &[u8]) -> Vec<String> {
        vec![
            printable(name),
            self.kind.to_owned(),
            self.holder.clone(),
            ttl(self.ttl_ms.map(Duration::from_millis)),
            fencing(self.fencing),
            self.metadata.as_ref().map_or_else(|| "-".to_owned(), metadata_text),
        ]
    }
}

/// Metadata as a JSON object.
pub(crate) fn metadata_map(metadata: &Metadata) -> BTreeMap<String, String> {
    metadata.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Metadata as one line: `name=value` pairs, values escaped for a terminal and quoted when
/// they contain a space.
pub(crate) fn metadata_text(metadata: &BTreeMap<String, String>) -> String {
    let field = |(k, v): (&String, &String)| {
        let v = printable(v.as_bytes());
        if v.contains(' ') || v.is_empty() { format!("{k}=\"{v}\"") } else { format!("{k}={v}") }
    };
    metadata.iter().map(field).collect::<Vec<_>>().join(" ")
}

/// `bytes` as text safe for a terminal: control characters, backslashes and bytes that are not
/// UTF-8 are escaped (`\n`, `\\`, `\xff`), so nothing is lost or ambiguous.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || c == '\\' {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// `bytes` unchanged when they are UTF-8 (for JSON, which escapes by itself), else
/// [`printable`].
pub(crate) fn exact_or_printable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => printable(bytes),
    }
}

/// A remaining ttl: `12.345s`, or `none` for a key without expiry.
pub(crate) fn ttl(ttl: Option<Duration>) -> String {
    match ttl {
        Some(ttl) => format!("{:.3}s", ttl.as_secs_f64()),
        None => "none".to_owned(),
    }
}

/// A holder's whole token: what the lock key holds, which `release --token` takes. Anyone who
/// can run `lockctl` against the server can read it with `GET` anyway, so nothing is gained by
/// cutting it; escaped like [`printable`] when it is not UTF-8 (a foreign client's value).
pub(crate) fn holder(token: &LockToken) -> String {
    printable(token.as_bytes())
}

/// A fencing counter, or `-` when there is none.
pub(crate) fn fencing(fencing: Option<u64>) -> String {
    fencing.map_or_else(|| "-".to_owned(), |f| f.to_string())
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Left-aligned columns separated by two spaces, a header line first; the last column is not
/// padded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let all: Vec<Vec<String>> = std::iter::once(header).chain(rows.iter().cloned()).collect();
    columns(&all)
}

/// Left-aligned columns separated by two spaces, one line per row; the last column is not
/// padded.
pub(crate) fn columns(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i != last {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_only_when_needed() {
        assert_eq!(printable(b"jobs:42"), "jobs:42");
        assert_eq!(printable(b"a\nb\\c\xff"), "a\\nb\\\\c\\xff");
        assert_eq!(exact_or_printable("ünï\\".as_bytes()), "ünï\\");
        assert_eq!(exact_or_printable(b"x\xfe"), "x\\xfe");
    }

    #[test]
    fn formats_ttls_and_fences() {
        assert_eq!(ttl(None), "none");
        assert_eq!(ttl(Some(Duration::from_millis(1500))), "1.500s");
        assert_eq!(fencing(None), "-");
        assert_eq!(fencing(Some(7)), "7");
    }

    #[test]
    fn aligns_columns() {
        let rows = vec![vec!["long-name".into(), "x".into()], vec!["a".into(), "yy".into()]];
        let text = table(&["NAME", "V"], &rows);
        assert_eq!(text, "NAME       V\nlong-name  x\na          yy\n");
    }
}
