//! Reading one lock, with a clear message when its key holds something that is not a lock.

use lock_redis::redis::{self, Value};
use lock_redis::{
    BackendErrorKind, Error, LockBackend, LockKey, LockToken, Metadata,
    lock_core::backend::LockInfo,
};

use super::show::printable;
use crate::endpoint::Connection;

/// The key of the lock `name` under the connection's prefix; an invalid name is a message.
pub(crate) fn key(conn: &Connection, name: &[u8]) -> Result<LockKey, String> {
    conn.locks.key(name).map_err(|e| e.to_string())
}

/// The lock at `key`: its holder, ttl and fencing counter, or `None` when it is free.
///
/// An operator tool reads the store itself (the backend's `inspect`): unlike
/// `LockManager::info`, which shows a holder identity only, this sees the holder's token, which
/// a forced release needs and whose first characters the commands show.
pub(crate) async fn info(conn: &Connection, key: &LockKey) -> Result<Option<LockInfo>, String> {
    match read(conn, key).await {
        Ok(info) => Ok(info),
        Err(e) => Err(explain(conn, key, &e).await),
    }
}

/// The backend's `inspect` of `key`.
pub(crate) async fn read(conn: &Connection, key: &LockKey) -> Result<Option<LockInfo>, Error> {
    Ok(conn.backend.inspect(key).await?)
}

/// The metadata the holder `holder` of `key` stored with it, if any (an error reading it is a
/// message).
pub(crate) async fn metadata(
    conn: &Connection,
    key: &LockKey,
    holder: &LockToken,
) -> Result<Option<Metadata>, String> {
    if !conn.backend.info().capabilities.metadata {
        return Ok(None);
    }
    match conn.backend.inspect_metadata(key).await {
        Ok(stored) => Ok(stored.filter(|(token, _)| token == holder).map(|(_, m)| m)),
        Err(e) => Err(conn.endpoint.explain_backend(&e)),
    }
}

/// The value of the fencing counter of `key` (the last token issued), if any.
pub(crate) async fn fence_counter(conn: &Connection, key: &LockKey) -> Result<Option<u64>, String> {
    let counter = lock_redis_protocol::layout::fence_key(key);
    match conn.backend.query(redis::cmd("GET").arg(&counter)).await {
        Ok(Value::BulkString(bytes)) => Ok(parse_counter(&bytes)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == BackendErrorKind::WrongType => Err(not_a_lock(conn, key).await),
        Err(e) => Err(conn.endpoint.explain_backend(&e)),
    }
}

/// The fence a counter records: `<fence>:<token>` (what the acquire script writes), or a bare
/// number (the format before 0.2); `None` for anything else.
fn parse_counter(stored: &[u8]) -> Option<u64> {
    let digits = stored.split(|b| *b == b':').next()?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A lock operation's error as one line: "`name` is not a lock: ..." for a key of another
/// type, else the connection's explanation.
pub(crate) async fn explain(conn: &Connection, key: &LockKey, e: &Error) -> String {
    match e {
        Error::Backend(b) if b.kind() == BackendErrorKind::WrongType => not_a_lock(conn, key).await,
        other => conn.endpoint.explain(other),
    }
}

/// Says which of the lock's keys holds another type, and what it holds.
pub(crate) async fn not_a_lock(conn: &Connection, key: &LockKey) -> String {
    let name = printable(key.name());
    let lock_type = key_type(conn, key.as_bytes()).await;
    match lock_type.as_deref() {
        Some("string") | Some("none") => {}
        Some(other) => return format!("`{name}` is not a lock: the key holds {}", article(other)),
        None => return format!("`{name}` is not a lock: the key holds a value of another type"),
    }
    let counter = lock_redis_protocol::layout::fence_key(key);
    match key_type(conn, &counter).await.as_deref() {
        Some(kind) if kind != "string" && kind != "none" => format!(
            "`{name}` has a broken fencing counter: `{}` holds {} instead of a string",
            printable(&counter),
            article(kind)
        ),
        _ => format!("`{name}` is not a lock: {}", lock_redis_protocol::errors::WRONG_TYPE_HINT),
    }
}

/// `TYPE key`, or `None` when that fails too.
async fn key_type(conn: &Connection, key: &[u8]) -> Option<String> {
    match conn.backend.query(redis::cmd("TYPE").arg(key)).await.ok()? {
        Value::SimpleString(kind) => Some(kind),
        Value::BulkString(kind) => String::from_utf8(kind).ok(),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

/// "a hash", "an ..." for a Redis type name.
fn article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::parse_counter;

    #[test]
    fn reads_both_counter_formats() {
        assert_eq!(
            parse_counter(b"1796077520910466:0123456789abcdef"),
            Some(1_796_077_520_910_466)
        );
        assert_eq!(parse_counter(b"42:tok:with:colons"), Some(42));
        assert_eq!(parse_counter(b"42"), Some(42));
        for bad in [&b""[..], b":tok", b"x42", b"-1", b"4 2:t", b"99999999999999999999999:t"] {
            assert_eq!(parse_counter(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
