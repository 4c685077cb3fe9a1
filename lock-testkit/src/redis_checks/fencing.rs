//! Fences in Redis: at least the server's clock in µs and above the last one issued, so they
//! keep rising when the counter is lost, expires or predates this version; shown only for the
//! holder they were issued to; and no key is left without an expiry. A backend with fencing off
//! neither issues fences nor writes a counter.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{
    DynLockBackend, Error, FencingToken, KeyPrefix, LockKey, LockManager, LockToken,
    backend::AcquireOutcome,
};

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
        lock_core::backend::ReleaseOutcome::Released,
        "release by the holder"
    );
    match backend.try_acquire(&key, &next, ttl).await? {
        AcquireOutcome::Acquired { fencing: Some(f) } => check!(
            f > first,
            "A7: the next holder after a lost counter got fencing token {f}, not above {first}"
        ),
        other => fail!("the next holder was not granted the free lock: {other:?}"),
    }
    backend.release(&key, &next).await?;
    Ok(())
}

/// The backend under test, or a skip when it issues no fences.
async fn fenced(c: &Connectors, url: String) -> Result<Arc<DynLockBackend>, Failure> {
    let backend = (c.standalone)(url).await?;
    if !backend.info().capabilities.fencing {
        return Err(Failure::skip("the backend does not issue fencing tokens"));
    }
    Ok(backend)
}

/// The server's clock (`TIME`) in microseconds.
fn server_micros(admin: &mut AdminConn) -> Result<u64, Failure> {
    let reply = admin.cmd(&["TIME"]).map_err(fail_io)?;
    let part = |i: usize| reply.items().get(i).and_then(RespValue::text)?.parse::<u64>().ok();
    match (part(0), part(1)) {
        (Some(secs), Some(micros)) => Ok(secs * 1_000_000 + micros),
        _ => fail!("TIME answered {reply:?}"),
    }
}

/// Takes the free lock `key` for `token`; its fencing token.
async fn grant(
    backend: &DynLockBackend,
    key: &LockKey,
    token: &LockToken,
) -> Result<FencingToken, Failure> {
    match backend.try_acquire(key, token, Duration::from_secs(10)).await? {
        AcquireOutcome::Acquired { fencing: Some(f) } => Ok(f),
        other => fail!("the free lock {key} was not granted with a fencing token: {other:?}"),
    }
}

/// A new fence is at least the server's clock in microseconds (read with `TIME` just before
/// the acquire), so it starts above every fence issued earlier even with no counter left.
pub async fn fences_follow_the_server_clock(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let key = unique_key("clock")?;
    let token = LockToken::generate()?;
    let before = server_micros(&mut admin)?;
    let fence = grant(backend.as_ref(), &key, &token).await?;
    let after = server_micros(&mut admin)?;
    check!(
        (before..=after).contains(&fence.get()),
        "a fresh lock's fence {fence} is not the server's clock in µs (between {before} and {after})"
    );
    backend.release(&key, &token).await?;
    Ok(())
}

/// While the counter lives, fences rise even if the server's clock is behind it (a clock that
/// stepped back, or a failover to a server whose clock is late): the next fence is one above the
/// recorded one.
pub async fn fences_rise_when_the_clock_is_behind_the_counter(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let key = unique_key("clock-behind")?;
    let (a, b) = (LockToken::generate()?, LockToken::generate()?);
    grant(backend.as_ref(), &key, &a).await?;
    backend.release(&key, &a).await?;
    let counter = auxiliary_keys(&mut admin, key.name())?
        .pop()
        .ok_or_else(|| Failure::new("no counter was written", "clock behind"))?;
    // A fence issued an hour ahead of this server's clock.
    let ahead = server_micros(&mut admin)? + 3_600_000_000;
    let value = format!("{ahead}:someone-else");
    admin.cmd_bytes(&[b"SET", &counter, value.as_bytes(), b"PX", b"60000"]).map_err(fail_io)?;
    let next = grant(backend.as_ref(), &key, &b).await?;
    check_eq!(next.get(), ahead + 1, "the fence after a recorded fence ahead of the clock");
    backend.release(&key, &b).await?;
    Ok(())
}

/// I2: `inspect` shows a fence only when it was issued to the current holder: a lock a plain
/// `SET NX` client took (right after one of ours, so a counter exists) has none.
pub async fn a_foreign_holder_has_no_fence(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let key = unique_key("foreign-fence")?;
    let ours = LockToken::generate()?;
    let fence = grant(backend.as_ref(), &key, &ours).await?;
    let shown = backend.inspect(&key).await?.and_then(|i| i.fencing);
    check_eq!(shown, Some(fence), "the fence inspect shows for our own lock");
    backend.release(&key, &ours).await?;
    let set = admin.cmd_bytes(&[b"SET", key.as_bytes(), b"a-go-client", b"NX", b"PX", b"10000"]);
    check_eq!(set.map_err(fail_io)?.text().as_deref(), Some("OK"), "a foreign SET NX");
    let info = backend
        .inspect(&key)
        .await?
        .ok_or_else(|| Failure::new("inspect shows no foreign lock", "foreign fence"))?;
    check_eq!(info.fencing, None, "the fence shown for a lock a foreign client holds");
    admin.cmd_bytes(&[b"DEL", key.as_bytes()]).map_err(fail_io)?;
    Ok(())
}

/// Fences rise after the counter expired while its lock was held and auto-refreshed (the
/// refresh keeps the lock, not the counter): the holder's re-acquire and the next holder both
/// get fences above the first.
pub async fn fences_rise_after_the_counter_expired_under_a_refreshed_lock(
    c: &Connectors,
) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let locks = LockManager::from_shared(backend.clone());
    let name = format!("redis-check:expired-counter:{:016x}", rand::random::<u64>());
    let guard = locks
        .lock(&name)
        .ttl(Duration::from_millis(300))
        .auto_refresh()
        .try_acquire()
        .await?
        .ok_or_else(|| Failure::new("the free lock was refused", "expired counter"))?;
    let first = guard.fencing_token().ok_or_else(|| Failure::new("no fence", "expired counter"))?;
    let counters = auxiliary_keys(&mut admin, name.as_bytes())?;
    check_eq!(counters.len(), 1, "auxiliary keys of a fenced lock (its counter)");
    // The counter runs out (as after the lock outlived its ttl plus the grace by refreshing).
    admin.cmd_bytes(&[b"PEXPIRE", &counters[0], b"1"]).map_err(fail_io)?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    check!(guard.is_valid(), "the refreshed lock was lost: {:?}", guard.loss());
    check!(auxiliary_keys(&mut admin, name.as_bytes())?.is_empty(), "the counter did not expire");
    let handover = guard.leak();
    let again = locks.adopt(handover).ttl(Duration::from_secs(10)).try_acquire().await?;
    let again = again.ok_or_else(|| Failure::new("the holder's re-acquire was refused", "A3"))?;
    let renewed = again.fencing_token();
    check!(
        renewed.is_some_and(|f| f > first),
        "the holder's re-acquire after its counter expired got fence {renewed:?}, not above {first}"
    );
    again.release().await?;
    let next = locks.try_lock(&name, Duration::from_secs(10)).await?;
    let next = next.ok_or_else(|| Failure::new("the free lock was refused", "next holder"))?;
    check!(
        next.fencing_token() > renewed,
        "the next holder's fence {:?} is not above {renewed:?}",
        next.fencing_token()
    );
    next.release().await?;
    Ok(())
}

/// A3 and inspect under long holds: extending a lock (alone or in a batch) keeps its fencing
/// counter alive at least the new ttl plus the counter's grace, so a lock held longer than its
/// first ttl plus the grace still has its fence (before, extends renewed only the lock, and the
/// counter ran out under it).
pub async fn an_extension_keeps_the_fence_counter(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let key = unique_key("kept-counter")?;
    let token = LockToken::generate()?;
    let granted = backend.try_acquire(&key, &token, Duration::from_secs(1)).await?;
    check!(matches!(granted, AcquireOutcome::Acquired { .. }), "the free lock: {granted:?}");
    let counters = auxiliary_keys(&mut admin, key.name())?;
    check_eq!(counters.len(), 1, "auxiliary keys of a fenced lock (its counter)");
    let grace = counter_grace();
    let mut counter_ttl = || -> Result<Duration, Failure> {
        let reply = admin.cmd_bytes(&[b"PTTL", &counters[0]]).map_err(fail_io)?;
        let ms = reply.int().ok_or_else(|| Failure::new(format!("PTTL: {reply:?}"), "PTTL"))?;
        Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    };
    let slack = Duration::from_secs(5);
    let long = Duration::from_secs(1_200);
    check_eq!(
        backend.extend(&key, &token, long).await?,
        lock_core::backend::ExtendOutcome::Extended,
        "E1"
    );
    let left = counter_ttl()?;
    check!(left + slack >= long + grace, "the counter after extending to {long:?}: {left:?} left");
    if backend.info().capabilities.batch_extend {
        let longer = Duration::from_secs(1_500);
        let items = [lock_core::backend::ExtendItem { key: &key, token: &token, ttl: longer }];
        let answers = backend.extend_batch(&items).await?;
        check_eq!(answers, vec![lock_core::backend::ExtendOutcome::Extended], "the batch");
        let left = counter_ttl()?;
        check!(left + slack >= longer + grace, "the counter after a batch to {longer:?}: {left:?}");
    }
    let info = backend.inspect(&key).await?;
    check!(info.is_some_and(|i| i.fencing.is_some()), "inspect shows the holder's fence");
    backend.release(&key, &token).await?;
    Ok(())
}

/// The counter's grace beyond a lock's ttl, as the Redis layout sets it (10 minutes).
fn counter_grace() -> Duration {
    Duration::from_secs(600)
}

/// A counter in the old format (a bare number with no expiry, as versions before 0.2 wrote it)
/// keeps working: the next fence jumps above it (to the server's clock), then keeps rising, and
/// the counter gets an expiry.
pub async fn old_counters_are_taken_over(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = fenced(c, server.url()).await?;
    let mut admin = admin(server)?;
    let key = unique_key("old-counter")?;
    let (a, b) = (LockToken::generate()?, LockToken::generate()?);
    // Find where the counter lives: grant once, then write an old-style value there.
    grant(backend.as_ref(), &key, &a).await?;
    backend.release(&key, &a).await?;
    let counter = auxiliary_keys(&mut admin, key.name())?
        .pop()
        .ok_or_else(|| Failure::new("no counter was written", "old counter"))?;
    admin.cmd_bytes(&[b"SET", &counter, b"400"]).map_err(fail_io)?;
    let first = grant(backend.as_ref(), &key, &a).await?;
    check!(first.get() > 400, "the fence after an old counter of 400 is {first}");
    let pttl = admin.cmd_bytes(&[b"PTTL", &counter]).map_err(fail_io)?.int();
    check!(pttl.is_some_and(|t| t > 0), "the old counter got no expiry: PTTL {pttl:?}");
    backend.release(&key, &a).await?;
    let second = grant(backend.as_ref(), &key, &b).await?;
    check!(second > first, "fences after the migration: {first} then {second}");
    backend.release(&key, &b).await?;
    Ok(())
}

/// Nothing immortal: after locks under many names were taken, refreshed, re-acquired and
/// released, every key they left (fencing counters) has an expiry.
pub async fn no_key_is_left_without_an_expiry(c: &Connectors) -> CaseResult {
    let server = shared()?;
    let backend = (c.standalone)(server.url()).await?;
    let mut admin = admin(server)?;
    let run = format!("redis-check:immortal:{:016x}", rand::random::<u64>());
    let locks = LockManager::from_shared(backend.clone());
    for i in 0..30 {
        let name = format!("{run}:{i}");
        let mut request = locks.lock(&name).ttl(Duration::from_secs(5));
        if i % 2 == 0 {
            // Metadata lives beside the lock and must expire with it.
            let meta = lock_core::Metadata::new().with("owner", format!("check {i}"));
            request = request.metadata(meta.map_err(|e| Failure::new(e.to_string(), "immortal"))?);
        }
        let guard = request.try_acquire().await?;
        let guard = guard.ok_or_else(|| Failure::new("a free lock was refused", "immortal"))?;
        if i % 3 == 0 {
            guard.extend(Duration::from_secs(5)).await?;
        }
        if i % 4 == 1 {
            // A refused attempt leaves a waiter's mark beside the lock.
            let refused = locks.lock(&name).try_acquire().await?;
            check!(refused.is_none(), "a held lock was granted to a contender");
        }
        if i == 29 {
            // Marked, then left to expire: neither the lock nor its mark is immortal.
            drop(guard.leak());
            continue;
        }
        if i % 5 == 0 {
            let again = locks.adopt(guard.leak()).try_acquire().await?;
            again.ok_or_else(|| Failure::new("re-acquire refused", "immortal"))?.release().await?;
        } else {
            guard.release().await?;
        }
    }
    every_kind(&locks, &run).await?;
    let mut pattern = run.into_bytes();
    pattern.push(b'*');
    let mut starred = b"*".to_vec();
    starred.extend_from_slice(&pattern);
    for key in scan(&mut admin, &starred)? {
        let pttl = admin.cmd_bytes(&[b"PTTL", &key]).map_err(fail_io)?.int();
        check!(
            pttl != Some(-1),
            "key {:?} was left without an expiry",
            String::from_utf8_lossy(&key)
        );
    }
    Ok(())
}

/// Uses every kind the backend offers under `run`: permits, reads, writes, an upgrade granted
/// and one given up, fair waits (one served, one that gave up, one that never came back), a
/// lock set.
async fn every_kind(locks: &LockManager, run: &str) -> CaseResult {
    let (ttl, short) = (Duration::from_secs(5), Duration::from_millis(200));
    let backend = locks.backend();
    if backend.info().capabilities.permits {
        let semaphore = locks.semaphore(format!("{run}:sem"), 1)?;
        let permit = semaphore.permit().ttl(ttl).acquire().await?;
        let refused = semaphore.permit().ttl(ttl).wait(short).try_acquire().await?;
        check!(refused.is_none(), "a second permit of one");
        permit.release().await?;
    }
    if backend.info().capabilities.rw_locks {
        let lock = locks.rw_lock(format!("{run}:rw"))?;
        let read = lock.upgradeable_read().ttl(ttl).acquire().await?;
        let other = lock.read().ttl(ttl).acquire().await?;
        let given_up = lock.upgrade(read).ttl(ttl).wait(short).acquire().await;
        let read = given_up.err().map(|e| e.into_read());
        let read = read.ok_or_else(|| Failure::new("upgraded beside a reader", "immortal"))?;
        let refused = lock.write().ttl(ttl).wait(short).try_acquire().await?;
        check!(refused.is_none(), "a writer beside readers");
        other.release().await?;
        let write = lock.upgrade(read).ttl(ttl).wait(ttl).acquire().await.map_err(Error::from)?;
        write.release().await?;
    }
    if backend.info().capabilities.fair_locks {
        let name = format!("{run}:fair");
        let first = locks.lock(&name).ttl(ttl).fair().acquire().await?;
        let gave_up = locks.lock(&name).ttl(ttl).fair().wait(short).try_acquire().await?;
        check!(gave_up.is_none(), "a fair waiter beside the holder");
        let waiter = {
            let (locks, name) = (locks.clone(), name.clone());
            tokio::spawn(async move { locks.lock(&name).ttl(ttl).fair().wait(ttl).acquire().await })
        };
        tokio::time::sleep(short).await;
        first.release().await?;
        let served = waiter.await.map_err(|e| Failure::new(e.to_string(), "join"))??;
        // A waiter that queues and never comes back, behind a holder that leaves its lock to
        // expire: the place, the line that holds it and the lock all lapse by themselves.
        let abandoned = LockToken::generate()?;
        let fair = lock_core::backend::Lease::Fair { queue_ttl: short };
        let queued = backend.acquire_lease(&locks.key(&name)?, &abandoned, fair, ttl).await?;
        check!(matches!(queued, AcquireOutcome::Held { .. }), "a fair waiter got {queued:?}");
        drop(served.leak());
    }
    if backend.info().capabilities.lock_sets {
        let set = locks.lock_all([format!("{run}:set-a"), format!("{run}:set-b")]);
        set.ttl(ttl).acquire().await?.release().await?;
    }
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
    scan(admin, &pattern)
}

/// Every key matching the glob `pattern` (`SCAN`, never `KEYS`).
pub(super) fn scan(admin: &mut AdminConn, pattern: &[u8]) -> Result<Vec<Vec<u8>>, Failure> {
    let (mut cursor, mut found) = (b"0".to_vec(), Vec::new());
    loop {
        let reply = admin
            .cmd_bytes(&[b"SCAN", &cursor, b"MATCH", pattern, b"COUNT", b"1000"])
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
