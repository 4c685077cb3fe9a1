//! Living with other clients on one Redis: interop, what is stored, foreign data, hostile input.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{BackendErrorKind, DynLockBackend, LockManager, LockToken};

use super::Connectors;
use super::util::{admin, fail_io, shared};
use crate::failure::{CaseResult, Failure};
use crate::server::RespValue;
use crate::{check, check_eq, fail};

fn unique_name(what: &str) -> String {
    format!("redis-check:{what}:{:016x}", rand::random::<u64>())
}

async fn manager(
    c: &Connectors,
    url: String,
) -> Result<(Arc<DynLockBackend>, LockManager), Failure> {
    let backend = (c.standalone)(url).await?;
    Ok((backend.clone(), LockManager::from_shared(backend)))
}

/// A foreign client doing plain `SET lock:<name> <value> NX PX` (Go's redsync and
/// bsm/redislock, python-redis-lock...) blocks our acquire, and our lock blocks it.
pub async fn foreign_clients_exclude_and_are_excluded(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let (_, locks) = manager(c, server.url()).await?;
    let mut admin = admin(server)?;
    let name = unique_name("interop");
    let key = format!("lock:{name}");

    let set =
        admin.cmd(&["SET", &key, "held-by-go-service", "NX", "PX", "5000"]).map_err(fail_io)?;
    check_eq!(set.text().as_deref(), Some("OK"), "foreign SET NX PX on a free key");
    check!(
        locks.try_lock(&name, Duration::from_secs(10)).await?.is_none(),
        "we acquired a lock a foreign client holds"
    );
    let info = locks
        .info(&name)
        .await?
        .ok_or_else(|| Failure::new("no info for a foreign lock", "info"))?;
    let foreign = lock_core::LockToken::from_stored("held-by-go-service");
    check_eq!(info.holder, lock_core::HolderId::of(&foreign), "holder of a foreign lock");
    check!(
        info.ttl_remaining.is_some_and(|t| t <= Duration::from_secs(5)),
        "ttl of a foreign lock: {:?}",
        info.ttl_remaining
    );
    admin.cmd(&["DEL", &key]).map_err(fail_io)?;

    let guard = locks
        .try_lock(&name, Duration::from_secs(10))
        .await?
        .ok_or_else(|| Failure::new("free lock refused", "interop"))?;
    let set = admin.cmd(&["SET", &key, "go", "NX", "PX", "5000"]).map_err(fail_io)?;
    check_eq!(set, RespValue::Bulk(None), "a foreign SET NX on our lock");
    guard.release().await?;
    let set = admin.cmd(&["SET", &key, "go", "NX", "PX", "5000"]).map_err(fail_io)?;
    check_eq!(set.text().as_deref(), Some("OK"), "a foreign SET NX after our release");
    admin.cmd(&["DEL", &key]).map_err(fail_io)?;
    Ok(())
}

/// What we store at `lock:<name>` is our token as a plain string with a `PX` ttl, readable by
/// anyone (`GET`, `PTTL`), and gone after release, metadata or not; the metadata hash beside it
/// has the same ttl and goes with it.
pub async fn lock_value_is_the_plain_token(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let (_, locks) = manager(c, server.url()).await?;
    let mut admin = admin(server)?;
    let name = unique_name("plain");
    let key = format!("lock:{name}");
    // With metadata: it lives beside the lock, which keeps the plain token.
    let meta = lock_core::Metadata::new().with("owner", "plain-check");
    let meta = meta.map_err(|e| Failure::new(e.to_string(), "plain"))?;
    let guard = locks
        .lock(&name)
        .ttl(Duration::from_secs(10))
        .metadata(meta)
        .try_acquire()
        .await?
        .ok_or_else(|| Failure::new("free lock refused", "plain"))?;
    check_eq!(
        admin.cmd(&["TYPE", &key]).map_err(fail_io)?.text().as_deref(),
        Some("string"),
        "type of the lock key"
    );
    let value = admin.cmd(&["GET", &key]).map_err(fail_io)?;
    let RespValue::Bulk(Some(value)) = value else {
        return Err(Failure::new(format!("GET of the lock key: {value:?}"), "plain"));
    };
    check_eq!(
        lock_core::HolderId::of(&lock_core::LockToken::from_stored(&value)),
        guard.holder(),
        "value of the lock key is the guard's token"
    );
    check!(
        value.len() == 32 && value.iter().all(|b| b.is_ascii_hexdigit()),
        "the lock key holds a minted token (32 hex characters): {:?}",
        String::from_utf8_lossy(&value)
    );
    let pttl = admin.cmd(&["PTTL", &key]).map_err(fail_io)?.int().unwrap_or(-3);
    check!(pttl > 9_000 && pttl <= 10_000, "PTTL of a 10 s lock: {pttl}");
    let found = admin.cmd(&["KEYS", &format!("lock:~meta{{*}}{name}")]).map_err(fail_io)?;
    let meta_key: Vec<u8> = match found.items().first().and_then(|k| k.text()) {
        Some(k) => k.into_bytes(),
        None => {
            return Err(Failure::new(format!("no metadata key beside {key}: {found}"), "plain"));
        }
    };
    let meta_ttl = admin.cmd_bytes(&[b"PTTL", &meta_key]).map_err(fail_io)?.int().unwrap_or(-3);
    check!(meta_ttl > 9_000 && meta_ttl <= 10_000, "PTTL of the lock's metadata: {meta_ttl}");
    guard.release().await?;
    check_eq!(
        admin.cmd(&["EXISTS", &key]).map_err(fail_io)?.int(),
        Some(0),
        "lock key exists after release"
    );
    check_eq!(
        admin.cmd_bytes(&[b"EXISTS", &meta_key]).map_err(fail_io)?.int(),
        Some(0),
        "the metadata exists after release"
    );
    Ok(())
}

/// A key of another type under a lock's name is a clear, permanent error (not endless
/// contention), and a foreign lock without expiry reads as held with no ttl.
pub async fn foreign_data_is_a_clear_error(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let (backend, locks) = manager(c, server.url()).await?;
    let mut admin = admin(server)?;
    let name = unique_name("wrongtype");
    admin.cmd(&["HSET", &format!("lock:{name}"), "field", "value"]).map_err(fail_io)?;
    let key = locks.key(&name)?;
    match backend.try_acquire(&key, &LockToken::generate()?, Duration::from_secs(1)).await {
        Err(e) if e.kind() == BackendErrorKind::WrongType && !e.is_temporary() => {}
        Err(e) => fail!(
            "expected a permanent WrongType error, got {:?} (temporary {}): {e}",
            e.kind(),
            e.is_temporary()
        ),
        Ok(outcome) => fail!("a hash under the lock key was answered with {outcome:?}"),
    }
    let started = tokio::time::Instant::now();
    let waited = locks.lock(&name).wait(Duration::from_secs(5)).acquire().await;
    check!(
        waited.is_err() && started.elapsed() < Duration::from_secs(1),
        "acquire on foreign data: {waited:?} after {:?}",
        started.elapsed()
    );

    let name = unique_name("no-expiry");
    admin.cmd(&["SET", &format!("lock:{name}"), "forever"]).map_err(fail_io)?;
    let info = locks
        .info(&name)
        .await?
        .ok_or_else(|| Failure::new("no info for a key without expiry", "info"))?;
    check_eq!(info.ttl_remaining, None, "ttl of a key without expiry");
    check!(
        locks.try_lock(&name, Duration::from_secs(1)).await?.is_none(),
        "acquired a key held forever"
    );
    admin.cmd(&["DEL", &format!("lock:{name}")]).map_err(fail_io)?;
    Ok(())
}

/// Names and tokens that look like Lua are only data: nothing outside the lock is touched.
pub async fn hostile_input_is_inert(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let (backend, locks) = manager(c, server.url()).await?;
    let mut admin = admin(server)?;
    let canary = format!("canary:{:016x}", rand::random::<u64>());
    admin.cmd(&["SET", &canary, "alive"]).map_err(fail_io)?;
    let name = "x') redis.call('flushall') --\"]] redis.call('flushdb') --";
    let token = LockToken::from_user("') redis.call('flushall') -- ]]\" pad pad")?;
    let key = locks.key(name)?;
    backend.try_acquire(&key, &token, Duration::from_secs(5)).await?;
    backend.extend(&key, &token, Duration::from_secs(5)).await?;
    let info = backend
        .inspect(&key)
        .await?
        .ok_or_else(|| Failure::new("hostile lock not found", "inspect"))?;
    check_eq!(info.holder, token, "holder of the hostile lock");
    backend.release(&key, &token).await?;
    check_eq!(
        admin.cmd(&["GET", &canary]).map_err(fail_io)?.text().as_deref(),
        Some("alive"),
        "canary after hostile input"
    );
    admin.cmd(&["DEL", &canary]).map_err(fail_io)?;
    Ok(())
}

/// On a server that publishes keyspace notifications (`notify-keyspace-events Kgx`), a lock a
/// foreign client deletes wakes our waiter at once, not at its next retry (20 s here). One that
/// expires is taken at once too (the waiter would also have retried when the holder's reported
/// ttl ran out).
pub async fn keyspace_events_wake_waiters_on_foreign_deletes(c: &Connectors) -> CaseResult {
    let server = crate::server::RedisServer::builder()
        .config("notify-keyspace-events Kgx")
        .spawn()
        .map_err(fail_io)?;
    let (_, locks) = manager(c, server.url()).await?;
    let mut admin = admin(&server)?;
    let slow = lock_core::RetryPolicy::fixed(Duration::from_secs(20));
    for (what, ttl_ms) in [("deleted", "30000"), ("expired", "300")] {
        let name = unique_name(what);
        let key = format!("lock:{name}");
        let set = admin.cmd(&["SET", &key, "go", "NX", "PX", ttl_ms]).map_err(fail_io)?;
        check_eq!(set.text().as_deref(), Some("OK"), "foreign SET NX PX on a free key");
        let waiter = {
            let (locks, name) = (locks.clone(), name.clone());
            tokio::spawn(async move {
                let guard = locks.lock(&name).retry(slow).wait(Duration::from_secs(30)).acquire();
                let guard = guard.await;
                (guard, std::time::Instant::now())
            })
        };
        // Our waiter has tried once, been refused, and is watching.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let gone = std::time::Instant::now();
        if what == "deleted" {
            admin.cmd(&["DEL", &key]).map_err(fail_io)?;
        }
        let (guard, got) =
            waiter.await.map_err(|e| Failure::new(format!("waiter panicked: {e}"), "join"))?;
        let guard = guard?;
        let after = got.saturating_duration_since(gone);
        check!(
            after < Duration::from_secs(3),
            "the waiter got a lock the foreign client {what} {after:?} later: the keyspace event did not wake it before its 20 s retry"
        );
        guard.release().await?;
    }
    Ok(())
}
