//! What a lock cycle costs the server, counted with `INFO commandstats` on a private server.

use std::collections::BTreeMap;
use std::time::Duration;

use lock_core::{KeyPrefix, LockKey, LockToken, backend::AcquireOutcome, backend::ReleaseOutcome};

use super::Connectors;
use super::util::{admin, fail_io, private};
use crate::failure::{CaseResult, Failure};
use crate::server::AdminConn;
use crate::{check, check_eq, fail};

/// Commands the server executed since `before`, leaving out the readings' own `INFO` and any
/// client's `PING` keep-alives.
fn executed_since(
    admin: &mut AdminConn,
    before: &BTreeMap<String, u64>,
) -> Result<BTreeMap<String, u64>, Failure> {
    let after = admin.command_calls().map_err(fail_io)?;
    Ok(after
        .into_iter()
        .filter(|(name, _)| name != "info" && name != "ping")
        .filter_map(|(name, n)| {
            let delta = n - before.get(&name).copied().unwrap_or(0);
            (delta > 0).then_some((name, delta))
        })
        .collect())
}

pub(super) fn key(i: usize) -> Result<LockKey, Failure> {
    KeyPrefix::default()
        .key(format!("redis-check:cost:{i}"))
        .map_err(|e| Failure::new(format!("bad key: {e}"), "cost check"))
}

/// Runs `CYCLES` uncontended cycles (acquire, release) on fresh keys from `first` on, and returns
/// what the server executed for them and their total.
async fn uncontended_cycles(
    backend: &dyn lock_core::LockBackend,
    admin: &mut AdminConn,
    token: &LockToken,
    first: usize,
) -> Result<(BTreeMap<String, u64>, u64), Failure> {
    let before = admin.command_calls().map_err(fail_io)?;
    for i in 0..CYCLES {
        let k = key(first + i)?;
        backend.try_acquire(&k, token, Duration::from_secs(10)).await?;
        backend.release(&k, token).await?;
    }
    let executed = executed_since(admin, &before)?;
    let total = executed.values().sum();
    Ok((executed, total))
}

/// How many uncontended cycles [`uncontended_cycles`] runs.
const CYCLES: usize = 20;

/// With fencing off, taking a free lock is one plain `SET NX PX` on the server (no script), and
/// a whole uncontended cycle (acquire, release) costs the server at most 4 commands (`SET`;
/// `EVALSHA`, `GET`, `DEL`: what the raw client's `SET NX` and compare-and-delete cost), scripts'
/// inner calls included. A taken key still answers `Held` with the holder's
/// ttl, and the holder's own token still takes it again (A3). Skipped for a backend with
/// fencing on. In [`crate::script_backend_checks!`], not [`crate::redis_checks!`]: it checks how
/// lock-redis and lock-fred send the fast path, which another Redis backend need not copy.
pub async fn unfenced_acquire_is_one_command(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    if backend.info().capabilities.fencing {
        return Err(Failure::skip("the backend issues fencing tokens"));
    }
    let ttl = Duration::from_secs(10);
    let token = LockToken::generate()?;
    // A first cycle loads the scripts and opens whatever the client opens lazily.
    let warm = key(0)?;
    backend.try_acquire(&warm, &token, ttl).await?;
    backend.release(&warm, &token).await?;
    let mut admin = admin(&server)?;

    let free = key(1)?;
    let before = admin.command_calls().map_err(fail_io)?;
    let outcome = backend.try_acquire(&free, &token, ttl).await?;
    check!(
        matches!(outcome, AcquireOutcome::Acquired { fencing: None }),
        "acquire of a free key without fencing answered {outcome:?}"
    );
    let executed = executed_since(&mut admin, &before)?;
    check_eq!(
        executed,
        BTreeMap::from([("set".to_owned(), 1)]),
        "commands the server ran for one acquire of a free key without fencing"
    );

    let other = LockToken::generate()?;
    match backend.try_acquire(&free, &other, ttl).await? {
        AcquireOutcome::Held { ttl_remaining: Some(left) } if left > ttl / 2 => {}
        held => fail!("a contender for the held key got {held:?}; expected Held with ~10 s left"),
    }
    let again = backend.try_acquire(&free, &token, ttl).await?;
    check!(
        matches!(again, AcquireOutcome::Acquired { fencing: None }),
        "A3: the holder taking its own lock again without fencing answered {again:?}"
    );
    check_eq!(backend.release(&free, &token).await?, ReleaseOutcome::Released, "release");

    let (executed, total) = uncontended_cycles(&*backend, &mut admin, &token, 100).await?;
    check!(
        total <= 4 * CYCLES as u64,
        "{CYCLES} uncontended cycles without fencing cost the server {total} commands \
         (more than 4 each): {executed:?}"
    );
    Ok(())
}

/// Auto-refreshed locks of one manager are extended in batches: 300 locks taken at once and held
/// through about six refreshes each cost the server at most one script call per 50 extensions, and every
/// lock stays held. Skipped for a backend without batched extends.
pub async fn auto_refresh_batches_its_extends(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    if !backend.info().capabilities.batch_extend {
        return Err(Failure::skip("the backend offers no batched extend"));
    }
    const LOCKS: usize = 300;
    let locks = lock_core::LockManager::from_shared(backend);
    let ttl = Duration::from_millis(1_500);
    // All at once: the locks are then due together and batch from the first refresh. Taken one
    // after another, they spread over as long as 300 round trips take, a batch takes the locks
    // due within an eighth of the refresh interval of its first, and on a loaded machine the
    // spread alone made more than one call in 50 (seen: 39 calls for 1,819 extensions).
    let started = tokio::time::Instant::now();
    let guards =
        futures_util::future::try_join_all((0..LOCKS).map(|i| {
            locks.lock(format!("redis-check:batched:{i}")).ttl(ttl).auto_refresh().acquire()
        }))
        .await
        .map_err(|e| Failure::new(e.to_string(), "acquire"))?;
    let spread = started.elapsed();
    let mut admin = admin(&server)?;
    let before = admin.command_calls().map_err(fail_io)?;
    tokio::time::sleep(ttl * 2).await;
    let executed = executed_since(&mut admin, &before)?;
    let (calls, extends) = (
        executed.get("evalsha").copied().unwrap_or(0),
        executed.get("pexpire").copied().unwrap_or(0),
    );
    let lost = guards.iter().filter(|g| !g.is_valid()).count();
    check_eq!(lost, 0, "auto-refreshed locks lost while batched");
    check!(
        extends >= LOCKS as u64 * 4,
        "{extends} extensions of {LOCKS} locks in {:?}: the refresh did not run",
        ttl * 2
    );
    check!(
        calls * 50 <= extends,
        "{calls} script calls for {extends} extensions (more than 1 in 50; the locks were \
         acquired within {spread:?}): {executed:?}"
    );
    for guard in guards {
        guard.release().await.map_err(|e| Failure::new(e.to_string(), "release"))?;
    }
    Ok(())
}

/// A release publishes its wake-up only when a waiter is marked beside the lock: uncontended
/// cycles send no `PUBLISH` and cost the server at most 4 commands each (7 with fencing:
/// `EVALSHA`, `SET NX`, `TIME`, `SET … GET`; `EVALSHA`, `GET`, `DEL`), while a refused attempt
/// leaves the mark, so the holder's release publishes once and wakes the watch registered
/// before that attempt (W5); a watch made without an attempt leaves the mark itself and does not
/// end before the release while the holder has 10 s left. Then 200 rounds of a waiter arriving
/// as the holder releases (the
/// release sent 0 to 1.8 ms after the waiter starts): each waiter either takes the lock or is
/// woken within 2 s, so no wake-up is lost between the refusal and the release. Skipped for a
/// backend without release notification. In [`crate::script_backend_checks!`], not
/// [`crate::redis_checks!`]: it checks how lock-redis and lock-fred wake waiters, which another
/// Redis backend need not copy.
pub async fn a_release_publishes_only_for_waiters(c: &Connectors) -> CaseResult {
    let server = private()?;
    let backend = (c.standalone)(server.url()).await?;
    let caps = backend.info().capabilities;
    if !caps.release_notify {
        return Err(Failure::skip("the backend has no release notification"));
    }
    let ttl = Duration::from_secs(10);
    let (holder, waiter) = (LockToken::generate()?, LockToken::generate()?);
    let warm = key(0)?;
    backend.try_acquire(&warm, &holder, ttl).await?;
    backend.release(&warm, &holder).await?;
    let mut admin = admin(&server)?;

    let (executed, total) = uncontended_cycles(&*backend, &mut admin, &holder, 200).await?;
    let each = if caps.fencing { 7 } else { 4 };
    check!(
        !executed.contains_key("publish") && !executed.contains_key("spublish"),
        "uncontended releases published a wake-up nobody waits for: {executed:?}"
    );
    check!(
        total <= each * CYCLES as u64,
        "{CYCLES} uncontended cycles cost the server {total} commands (more than {each} each): \
         {executed:?}"
    );

    let contended = key(1)?;
    backend.try_acquire(&contended, &holder, ttl).await?;
    let watch = backend.watch_before_attempt(&contended).await?;
    let refused = backend.try_acquire(&contended, &waiter, ttl).await?;
    check!(matches!(refused, AcquireOutcome::Held { .. }), "a contender got {refused:?}");
    let before = admin.command_calls().map_err(fail_io)?;
    check_eq!(backend.release(&contended, &holder).await?, ReleaseOutcome::Released, "release");
    let executed = executed_since(&mut admin, &before)?;
    let published = executed.get("publish").or(executed.get("spublish")).copied().unwrap_or(0);
    check_eq!(published, 1, "wake-ups published by the release of a lock a waiter was refused");
    check!(
        tokio::time::timeout(Duration::from_secs(2), watch).await.is_ok(),
        "the watch made before the refused attempt did not wake on the release"
    );

    // A watch made without an attempt leaves the mark itself, and stays until the release (or
    // the holder's ttl): no wake-up for nothing while the holder has 10 s left.
    let bare = key(2)?;
    backend.try_acquire(&bare, &holder, ttl).await?;
    let mut watch = backend.watch_release(&bare).await?;
    check!(
        tokio::time::timeout(Duration::from_millis(700), &mut watch).await.is_err(),
        "a watch on a lock with 10 s left ended within 700 ms, before any release"
    );
    check_eq!(backend.release(&bare, &holder).await?, ReleaseOutcome::Released, "release");
    check!(
        tokio::time::timeout(Duration::from_secs(2), watch).await.is_ok(),
        "a watch made without an attempt did not wake on the release"
    );

    for round in 0..200u64 {
        let k = key(1_000 + round as usize)?;
        backend.try_acquire(&k, &holder, ttl).await?;
        let (store, kk, h) = (backend.clone(), k.clone(), holder.clone());
        let releaser = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_micros(round % 10 * 200)).await;
            store.release(&kk, &h).await
        });
        let watch = backend.watch_before_attempt(&k).await?;
        match backend.try_acquire(&k, &waiter, ttl).await? {
            AcquireOutcome::Acquired { .. } => {
                backend.release(&k, &waiter).await?;
            }
            _ => {
                if tokio::time::timeout(Duration::from_secs(2), watch).await.is_err() {
                    fail!(
                        "round {round}: a waiter refused just before the holder's release was not woken (lost wake-up)"
                    );
                }
            }
        }
        let released = releaser.await.map_err(|e| Failure::new(e.to_string(), "releaser"))??;
        check_eq!(released, ReleaseOutcome::Released, "round {round}: the holder's release");
    }
    Ok(())
}

/// Checks that what the server executed since `before` is at most `most` commands.
pub(super) fn at_most(
    admin: &mut AdminConn,
    before: &BTreeMap<String, u64>,
    most: u64,
    what: &str,
) -> CaseResult {
    let executed = executed_since(admin, before)?;
    let total: u64 = executed.values().sum();
    check!(
        total <= most,
        "{what} cost the server {total} commands (more than {most}): {executed:?}"
    );
    Ok(())
}
