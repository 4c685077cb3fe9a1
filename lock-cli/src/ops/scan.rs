//! `SCAN` (never `KEYS`) for the lock keys under a prefix on one server.

use lock_redis::redis::{self, ConnectionInfo, Value};

use crate::endpoint::{Endpoint, node_connection};

/// Keys asked for per `SCAN` call.
const SCAN_COUNT: u32 = 1000;

/// The lock names (keys without `prefix`) on the server at `node`; auxiliary keys
/// (`<prefix>~...`) are skipped.
pub(crate) async fn lock_names(
    endpoint: &Endpoint,
    node: &ConnectionInfo,
    prefix: &[u8],
) -> Result<Vec<Vec<u8>>, String> {
    let explain = |e: redis::RedisError| endpoint.explain_redis(&e);
    let mut conn = node_connection(node).await.map_err(explain)?;
    let mut pattern = glob_escape(prefix);
    pattern.push(b'*');
    let mut names = Vec::new();
    let mut cursor = b"0".to_vec();
    loop {
        let reply: Value = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(&mut conn)
            .await
            .map_err(explain)?;
        let (next, keys) = parse_page(reply)?;
        for key in keys {
            // Lock names never contain `~`; the library's counters (under any prefix) do.
            if let Some(name) = key.strip_prefix(prefix)
                && !name.is_empty()
                && !name.contains(&lock_redis::lock_core::limits::RESERVED_NAME_START)
            {
                names.push(name.to_vec());
            }
        }
        if next == b"0" {
            return Ok(names);
        }
        cursor = next;
    }
}

/// `[cursor, [key...]]`.
fn parse_page(reply: Value) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    let unexpected = |v: &Value| format!("unexpected reply to SCAN: {v:?}");
    let Value::Array(mut items) = reply else {
        return Err(unexpected(&reply));
    };
    let (Some(Value::Array(keys)), Some(cursor)) = (items.pop(), items.pop()) else {
        return Err(format!("unexpected reply to SCAN: {items:?}"));
    };
    let cursor = match cursor {
        Value::BulkString(c) => c,
        Value::SimpleString(c) => c.into_bytes(),
        Value::Int(n) => n.to_string().into_bytes(),
        other => return Err(unexpected(&other)),
    };
    let keys = keys
        .into_iter()
        .filter_map(|k| match k {
            Value::BulkString(k) => Some(k),
            Value::SimpleString(k) => Some(k.into_bytes()),
            _ => None,
        })
        .collect();
    Ok((cursor, keys))
}

/// `bytes` with the glob characters of `SCAN MATCH` (`* ? [ ] \`) escaped.
fn glob_escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    for b in bytes {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(*b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_glob_characters() {
        assert_eq!(glob_escape(b"lock:"), b"lock:");
        assert_eq!(glob_escape(b"a*b?[c]\\"), b"a\\*b\\?\\[c\\]\\\\");
    }

    #[test]
    fn parses_a_page() {
        let reply = Value::Array(vec![
            Value::BulkString(b"17".to_vec()),
            Value::Array(vec![Value::BulkString(b"lock:a".to_vec())]),
        ]);
        assert_eq!(parse_page(reply), Ok((b"17".to_vec(), vec![b"lock:a".to_vec()])));
    }
}
