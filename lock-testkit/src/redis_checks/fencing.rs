//! The fencing counter in Redis: a lost counter is re-created by a re-acquire, and a backend
//! with fencing off neither issues fences nor writes a counter.

use std::time::Duration;

use lock_core::{AcquireOutcome, KeyPrefix, LockToken};

use super::Connectors;
use super::util::{admin, fail_io, shared};
use crate::failure::{CaseResult, Failure};
use crate::server::{AdminConn, RespValue};
use crate::{check, check_eq, fail};

fn unique_key(what: &str) -> Result<lock_core::LockKey, Failure> {
    KeyPrefix::default()
        .key(format!("redis-check:{what}:{:016x}", rand::random::<u64>()))
        .map_err(|e| Failure::new(format!("bad key: {e}"), "fencing check"))
}

/// A3 and A7 on Redis: when the fencing counter vanished while the lock is held (eviction, a
/// `DEL`), the holder's re-acquire still answers `Acquired` with a fencing token (the counter is
/// re-created), and the next holder's token is greater. Skipped for a backend with fencing off.
pub async fn a_lost_fence_counter_is_recreated_by_a_reacquire(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = (c.standalone)(server.url()).await?;
    if !backend.info().capabilities.fencing {
        return Err(Failure::skip("the backend does not issue fencing tokens"));
    }
    let key = unique_key("lost-counter")?;
    let (holder, next) = (LockToken::generate()?, LockToken::generate()?);
    let ttl = Duration::from_secs(10);
    let AcquireOutcome::Acquired { fencing: Some(first) } =
        backend.try_acquire(&key, &holder, ttl).await?
    else {
        fail!("the free lock was not granted with a fencing token");
    };
    let mut admin = admin(server)?;
    let counters = auxiliary_keys(&mut admin, key.name())?;
    check_eq!(counters.len(), 1, "auxiliary keys of a fenced lock (its counter)");
    let deleted = admin.cmd_bytes(&[b"DEL", &counters[0]]).map_err(fail_io)?;
    check_eq!(deleted.int(), Some(1), "DEL of the fencing counter (it held {first})");
    match backend.try_acquire(&key, &holder, ttl).await? {
        AcquireOutcome::Acquired { fencing: Some(_) } => {}
        other => fail!(
            "A3/A7: the holder's re-acquire after its fencing counter was lost answered {other:?}; expected Acquired with a fencing token"
        ),
    }
    check_eq!(
        backend.release(&key, &holder).await?,
        lock_core::ReleaseOutcome::Released,
        "release by the holder"
    );
    match backend.try_acquire(&key, &next, ttl).await? {
        AcquireOutcome::Acquired { fencing: Some(f) } => {
            check!(f.get() > 0, "A7: the next holder after a lost counter got fencing token {f}")
        }
        other => fail!("the next holder was not granted the free lock: {other:?}"),
    }
    backend.release(&key, &next).await?;
    Ok(())
}

/// A7 with fencing off: `Acquired` carries no fencing token, a same-token re-acquire still
/// answers `Acquired`, and no fencing counter key is written. Skipped with fencing on.
pub async fn fencing_off_writes_no_counter(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = (c.standalone)(server.url()).await?;
    if backend.info().capabilities.fencing {
        return Err(Failure::skip("the backend issues fencing tokens"));
    }
    let key = unique_key("unfenced")?;
    let token = LockToken::generate()?;
    let ttl = Duration::from_secs(10);
    for round in ["first acquire", "same-token re-acquire"] {
        match backend.try_acquire(&key, &token, ttl).await? {
            AcquireOutcome::Acquired { fencing: None } => {}
            other => fail!(
                "A7: {round} without fencing answered {other:?}; expected Acquired with no fencing token"
            ),
        }
    }
    let mut admin = admin(server)?;
    let written = auxiliary_keys(&mut admin, key.name())?;
    check!(written.is_empty(), "keys written beside the lock with fencing off: {written:?}");
    backend.release(&key, &token).await?;
    Ok(())
}

/// Every key holding `~` and ending in `name`: the auxiliary keys (a fencing counter) that a
/// Redis backend keeps beside the lock `name` (lock names and prefixes never contain `~`).
fn auxiliary_keys(admin: &mut AdminConn, name: &[u8]) -> Result<Vec<Vec<u8>>, Failure> {
    let mut pattern = b"*~*".to_vec();
    for b in name {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            pattern.push(b'\\');
        }
        pattern.push(*b);
    }
    let (mut cursor, mut found) = (b"0".to_vec(), Vec::new());
    loop {
        let reply = admin
            .cmd_bytes(&[b"SCAN", &cursor, b"MATCH", &pattern, b"COUNT", b"1000"])
            .map_err(fail_io)?;
        let [next, keys] = reply.items() else { fail!("SCAN answered {reply:?}") };
        for key in keys.items() {
            if let RespValue::Bulk(Some(k)) = key {
                found.push(k.clone());
            }
        }
        cursor = next.text().unwrap_or_default().into_bytes();
        if cursor == b"0" {
            return Ok(found);
        }
    }
}
