//! Reader-writer locks (`lock_core::backend::Lease::Rw`): bullets RW1 to RWI1, then the manager's
//! `RwLock` end to end. Skipped on backends without reader-writer locks.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use lock_core::{
    DynLockBackend, Error, FencingToken, LockKey, LockToken, RetryPolicy, RwMode,
    backend::AcquireOutcome, backend::ExtendOutcome, backend::Lease, backend::LeaseKind,
    backend::ReleaseOutcome,
};

use super::util::offered;
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

const R: RwMode = RwMode::Read;
const U: RwMode = RwMode::UpgradeableRead;
const W: RwMode = RwMode::Write;

fn rw(cx: &TestContext) -> Result<&DynLockBackend, Failure> {
    offered(cx, LeaseKind::Rw)
}

/// Takes `key` in `mode` and insists it is granted; returns the fence.
async fn must_get(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    mode: RwMode,
    ttl: Duration,
) -> Result<Option<FencingToken>, Failure> {
    match rw(cx)?.acquire_lease(key, token, Lease::Rw(mode), ttl).await? {
        AcquireOutcome::Acquired { fencing } => {
            check_eq!(fencing.is_some(), cx.caps().fencing, "RW8: fencing as advertised");
            Ok(fencing)
        }
        other => fail!("{mode:?} of {key} should be granted, got {other:?}"),
    }
}

/// Asks for `key` in `mode` and insists it is refused; returns the reported wait.
async fn must_wait(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    mode: RwMode,
) -> Result<Option<Duration>, Failure> {
    match rw(cx)?.acquire_lease(key, token, Lease::Rw(mode), cx.ms(10_000)).await? {
        AcquireOutcome::Held { ttl_remaining } => Ok(ttl_remaining),
        other => fail!("{mode:?} of {key} should be refused, got {other:?}"),
    }
}

async fn waiting(cx: &TestContext, key: &LockKey) -> Result<bool, Failure> {
    Ok(rw(cx)?.inspect_lease(key, LeaseKind::Rw).await?.writer_waiting)
}

/// RW1, RW3, RW6, RWI1: readers share; a writer waits for them (told at most the soonest
/// reader's time), then excludes readers (told at most its own time).
pub async fn rw_readers_share_and_writers_exclude(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-share")?;
    let (r1, r2, w) = (cx.token()?, cx.token()?, cx.token()?);
    must_get(&cx, &key, &r1, R, cx.ms(2_000)).await?;
    must_get(&cx, &key, &r2, R, cx.ms(30_000)).await?;
    let wait = must_wait(&cx, &key, &w, W).await?;
    check!(wait.is_none_or(|t| t <= cx.ms(2_000)), "RW6: the writer was told to wait {wait:?}");
    let holders = rw(&cx)?.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    check_eq!(holders.len(), 2, "RWI1: two readers");
    check!(holders.iter().all(|h| h.mode == Some(R)), "RWI1: modes {holders:?}");
    for token in [&r1, &r2] {
        check_eq!(
            rw(&cx)?.release_lease(&key, token, LeaseKind::Rw).await?,
            ReleaseOutcome::Released,
            "RWR1"
        );
    }
    must_get(&cx, &key, &w, W, cx.ms(1_500)).await?;
    let wait = must_wait(&cx, &key, &r1, R).await?;
    check!(wait.is_none_or(|t| t <= cx.ms(1_500)), "RW6: the reader was told to wait {wait:?}");
    must_wait(&cx, &key, &r1, W).await?;
    Ok(())
}

/// Writer preference (RW1, RW3, RWR1): a writer refused because of a reader marks its wait,
/// and new readers are refused until it has written; its release lets them in.
pub async fn rw_waiting_writer_stops_new_readers(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-prefer")?;
    let (r1, r2, w, w2) = (cx.token()?, cx.token()?, cx.token()?, cx.token()?);
    must_get(&cx, &key, &r1, R, cx.ms(30_000)).await?;
    must_wait(&cx, &key, &w, W).await?;
    check!(waiting(&cx, &key).await?, "RWI1: no waiting writer shown");
    must_wait(&cx, &key, &r2, R).await?;
    rw(&cx)?.release_lease(&key, &r1, LeaseKind::Rw).await?;
    // The readers are gone, but the marked writer goes first.
    must_wait(&cx, &key, &w2, W).await?;
    must_get(&cx, &key, &w, W, cx.ms(30_000)).await?;
    check!(!waiting(&cx, &key).await?, "the granted writer's mark stayed");
    rw(&cx)?.release_lease(&key, &w, LeaseKind::Rw).await?;
    must_get(&cx, &key, &r2, R, cx.ms(30_000)).await?;
    // A writer that gives up takes its mark with it (RWR1).
    must_wait(&cx, &key, &w, W).await?;
    check_eq!(
        rw(&cx)?.release_lease(&key, &w, LeaseKind::Rw).await?,
        ReleaseOutcome::NotHeld,
        "RWR1: only a mark"
    );
    must_get(&cx, &key, &r1, R, cx.ms(30_000)).await?;
    Ok(())
}

/// RW2: one upgradeable reader at a time, beside plain readers.
pub async fn rw_one_upgradeable_reader_at_a_time(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-upgradeable")?;
    let (u1, u2, r) = (cx.token()?, cx.token()?, cx.token()?);
    must_get(&cx, &key, &u1, U, cx.ms(30_000)).await?;
    must_get(&cx, &key, &r, R, cx.ms(30_000)).await?;
    must_wait(&cx, &key, &u2, U).await?;
    must_get(&cx, &key, &u2, R, cx.ms(30_000)).await?;
    rw(&cx)?.release_lease(&key, &u1, LeaseKind::Rw).await?;
    must_get(&cx, &key, &u2, U, cx.ms(30_000)).await?;
    Ok(())
}

/// RW4: the upgradeable reader's upgrade goes before a writer that came first, and gets a
/// fence above every earlier grant; nobody reads or writes in between.
pub async fn rw_upgrade_goes_before_other_writers(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-upgrade")?;
    let (u, r, w) = (cx.token()?, cx.token()?, cx.token()?);
    let read_fence = must_get(&cx, &key, &u, U, cx.ms(30_000)).await?;
    let other_fence = must_get(&cx, &key, &r, R, cx.ms(30_000)).await?;
    must_wait(&cx, &key, &w, W).await?;
    check!(!waiting(&cx, &key).await?, "RW3: a writer marked its wait over an upgradeable read");
    must_wait(&cx, &key, &u, W).await?;
    check!(waiting(&cx, &key).await?, "RW4: the upgrade did not mark its wait");
    must_wait(&cx, &key, &w, W).await?;
    must_wait(&cx, &key, &cx.token()?, R).await?;
    rw(&cx)?.release_lease(&key, &r, LeaseKind::Rw).await?;
    must_wait(&cx, &key, &w, W).await?;
    let write_fence = must_get(&cx, &key, &u, W, cx.ms(30_000)).await?;
    if cx.caps().fencing {
        check!(
            write_fence > read_fence && write_fence > other_fence,
            "RW5/RW8: the upgrade's fence {write_fence:?} is not above {read_fence:?} and {other_fence:?}"
        );
    }
    let holders = rw(&cx)?.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    check_eq!(holders.len(), 1, "one hold after the upgrade");
    check_eq!(holders[0].mode, Some(W), "the upgraded hold's mode");
    Ok(())
}

/// RW5: an upgrading reader that asks for its upgradeable read again gives the upgrade up: its
/// hold is renewed with the same fence and its waiting mark goes, so new readers get in; the
/// other reader is untouched.
pub async fn rw_an_upgrade_given_up_takes_its_mark_away(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-upgrade-given-up")?;
    let (u, r) = (cx.token()?, cx.token()?);
    let read_fence = must_get(&cx, &key, &u, U, cx.ms(30_000)).await?;
    must_get(&cx, &key, &r, R, cx.ms(30_000)).await?;
    must_wait(&cx, &key, &u, W).await?;
    check!(waiting(&cx, &key).await?, "RW4: the upgrade did not mark its wait");
    must_wait(&cx, &key, &cx.token()?, R).await?;
    // Another reader renewing its read gives up nothing of the upgrade's.
    must_get(&cx, &key, &r, R, cx.ms(30_000)).await?;
    check!(waiting(&cx, &key).await?, "RW5: another reader's renewal took the upgrade's mark");
    let renewed = must_get(&cx, &key, &u, U, cx.ms(30_000)).await?;
    check_eq!(renewed, read_fence, "RW5: the renewed upgradeable read's fence");
    check!(!waiting(&cx, &key).await?, "RW5: the given-up upgrade's mark stayed");
    must_get(&cx, &key, &cx.token()?, R, cx.ms(30_000)).await?;
    let holders = rw(&cx)?.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    let mut modes: Vec<_> =
        holders.iter().filter_map(|h| h.mode).map(|m| format!("{m:?}")).collect();
    modes.sort();
    check_eq!(modes, ["Read", "Read", "UpgradeableRead"], "the holds after the give-up");
    Ok(())
}

/// The manager's upgrade: refused while another reader is in, it gives the read back still
/// held, and readers get in again at once; once the reader leaves, the read upgrades and ends
/// (one hold: the write's).
pub async fn rw_a_refused_upgrade_gives_the_read_back(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let lock = locks.rw_lock("rw-upgrade-back")?;
    let ttl = cx.ms(30_000);
    let read = lock.upgradeable_read().ttl(ttl).acquire().await?;
    let other = lock.read().ttl(ttl).acquire().await?;
    let refused = match lock.upgrade(read).ttl(ttl).wait(cx.ms(200)).acquire().await {
        Ok(write) => fail!("an upgrade was granted beside a reader: {write:?}"),
        Err(refused) => refused,
    };
    check!(matches!(refused.error(), Error::WaitTimeout { .. }), "{refused}");
    let read = refused.into_read();
    check!(read.is_valid(), "the read came back invalid");
    let newcomer = lock.read().ttl(ttl).try_acquire().await?;
    check!(newcomer.is_some(), "readers stayed shut out after the upgrade gave up");
    let (holders, _) = lock.holders().await?;
    check_eq!(holders.len(), 3, "the read, the other reader and the newcomer hold");
    drop(newcomer);
    other.release().await?;
    let handle = read.handle();
    let write =
        lock.upgrade(read).ttl(ttl).wait(cx.ms(10_000)).acquire().await.map_err(Error::from)?;
    check!(!handle.is_valid(), "the upgraded read's handle still says valid");
    let (holders, _) = lock.holders().await?;
    check_eq!(holders.len(), 1, "one hold after the upgrade");
    write.release().await?;
    Ok(())
}

/// RW5, RWE1, RW7: asking again renews with the same fence; an extension keeps a hold past
/// its first ttl; holds expire and then let a writer in; a stranger's extension does nothing.
pub async fn rw_holds_renew_extend_and_expire(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-ttl")?;
    let (r1, r2, w) = (cx.token()?, cx.token()?, cx.token()?);
    let first = must_get(&cx, &key, &r1, R, cx.ms(300)).await?;
    check_eq!(must_get(&cx, &key, &r1, R, cx.ms(300)).await?, first, "RW5: the renewal's fence");
    must_get(&cx, &key, &r2, R, cx.ms(300)).await?;
    let s = rw(&cx)?;
    check_eq!(
        s.extend_lease(&key, &r2, LeaseKind::Rw, cx.ms(30_000)).await?,
        ExtendOutcome::Extended,
        "RWE1"
    );
    check_eq!(
        s.extend_lease(&key, &w, LeaseKind::Rw, cx.ms(30_000)).await?,
        ExtendOutcome::NotHeld,
        "RWE1: stranger"
    );
    cx.sleep(700).await;
    let holders = s.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    check_eq!(holders.len(), 1, "RW7/RWE1: after the first ttl, holders {holders:?}");
    s.release_lease(&key, &r2, LeaseKind::Rw).await?;
    must_get(&cx, &key, &w, W, cx.ms(300)).await?;
    cx.sleep(600).await;
    must_get(&cx, &key, &r1, R, cx.ms(30_000)).await?;
    Ok(())
}

/// RW5: a request its hold covers (a read by the upgradeable reader; a read or upgradeable
/// read by the writer) renews the hold, mode and fence kept.
pub async fn rw_covered_requests_renew_the_hold(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-covered")?;
    let (u, w) = (cx.token()?, cx.token()?);
    let first = must_get(&cx, &key, &u, U, cx.ms(300)).await?;
    check_eq!(must_get(&cx, &key, &u, R, cx.ms(30_000)).await?, first, "RW5: u asks a read");
    cx.sleep(600).await;
    let holders = rw(&cx)?.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    check!(
        holders.len() == 1 && holders[0].mode == Some(U),
        "RW5: the upgradeable read was not renewed as such: {holders:?}"
    );
    rw(&cx)?.release_lease(&key, &u, LeaseKind::Rw).await?;
    let first = must_get(&cx, &key, &w, W, cx.ms(30_000)).await?;
    check_eq!(must_get(&cx, &key, &w, R, cx.ms(30_000)).await?, first, "RW5: w asks a read");
    check_eq!(must_get(&cx, &key, &w, U, cx.ms(30_000)).await?, first, "RW5: w asks u");
    let holders = rw(&cx)?.inspect_lease(&key, LeaseKind::Rw).await?.holders;
    check!(holders.len() == 1 && holders[0].mode == Some(W), "RW5: the write became {holders:?}");
    Ok(())
}

/// RW8: every grant's fence is above every earlier one's, reads and writes alike.
pub async fn rw_fences_increase(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-fence")?;
    let mut last: Option<FencingToken> = None;
    for mode in [R, R, W, U, R, W] {
        let token = cx.token()?;
        let fence = must_get(&cx, &key, &token, mode, cx.ms(30_000)).await?;
        check!(fence > last, "RW8: {mode:?} got fence {fence:?} after {last:?}");
        last = fence;
        rw(&cx)?.release_lease(&key, &token, LeaseKind::Rw).await?;
    }
    Ok(())
}

/// RWR2: a release wakes the watches on the lock.
pub async fn rw_release_wakes_watchers(cx: TestContext) -> CaseResult {
    let key = cx.key("rw-watch")?;
    let token = cx.token()?;
    must_get(&cx, &key, &token, W, cx.ms(30_000)).await?;
    let watch = rw(&cx)?.watch_lease(&key, &token, LeaseKind::Rw).await?;
    rw(&cx)?.release_lease(&key, &token, LeaseKind::Rw).await?;
    let woken = tokio::time::timeout(cx.ms(2_000), watch).await;
    check!(woken.is_ok(), "RWR2: the watch did not resolve within 2 s of the release");
    Ok(())
}

/// A writer that gives up waiting takes its mark with it: readers get in at once, not at the
/// mark's expiry.
pub async fn rw_writer_that_gives_up_lets_readers_in(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let lock = locks.rw_lock("rw-give-up")?;
    let reader = lock.read().ttl(cx.ms(30_000)).try_acquire().await?;
    let reader = reader.ok_or_else(|| Failure::new("setup: the free lock was refused", "read"))?;
    let gave_up = lock.write().ttl(cx.ms(30_000)).wait(cx.ms(300)).acquire().await;
    check!(matches!(gave_up, Err(Error::WaitTimeout { .. })), "the writer: {gave_up:?}");
    // The give-up's release runs in the background.
    let mut second = None;
    for _ in 0..50 {
        second = lock.read().ttl(cx.ms(30_000)).try_acquire().await?;
        if second.is_some() {
            break;
        }
        cx.sleep(20).await;
    }
    check!(second.is_some(), "readers stayed shut out after the writer gave up");
    reader.release().await?;
    Ok(())
}

/// The manager's `RwLock`: 8 tasks × 12 rounds, a third writes (one upgrading from an
/// upgradeable read); never a writer beside anyone, readers do share, and every task finishes.
pub async fn rw_writers_are_alone_under_contention(cx: TestContext) -> CaseResult {
    let policy =
        RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(20)).jitter(0.5);
    let locks = cx.manager_builder().retry(policy).build()?;
    let lock = locks.rw_lock("rw-load")?;
    // Readers count +1, writers -1000: any other value beside a writer is a violation.
    let inside = Arc::new(AtomicI64::new(0));
    let most_readers = Arc::new(AtomicI64::new(0));
    let violations = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for task in 0..8 {
        let (lock, inside, most, violations) =
            (lock.clone(), inside.clone(), most_readers.clone(), violations.clone());
        let (ttl, wait, hold) = (cx.ms(2_000), cx.ms(60_000), cx.ms(3));
        tasks.push(tokio::spawn(async move {
            for round in 0..12 {
                let writes = (task + round) % 3 == 0;
                let upgrade = writes && task == 0;
                let guard = if upgrade {
                    let base = lock.upgradeable_read().ttl(ttl).wait(wait).acquire().await?;
                    lock.upgrade(base).ttl(ttl).wait(wait).acquire().await?
                } else if writes {
                    lock.write().ttl(ttl).wait(wait).acquire().await?
                } else {
                    lock.read().ttl(ttl).wait(wait).acquire().await?
                };
                let delta = if writes { -1000 } else { 1 };
                let now = inside.fetch_add(delta, Ordering::SeqCst) + delta;
                if (writes && now != -1000) || (!writes && now < 1) {
                    let what = format!("task {task} round {round}: {now} inside");
                    violations.lock().unwrap_or_else(|e| e.into_inner()).push(what);
                }
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(hold).await;
                inside.fetch_sub(delta, Ordering::SeqCst);
                guard.release().await?;
            }
            Ok::<(), Error>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| Failure::new(format!("task: {e}"), "join"))??;
    }
    let violations = violations.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check!(violations.is_empty(), "a writer was not alone: {violations:?}");
    let most = most_readers.load(Ordering::SeqCst);
    check!(most >= 2, "readers never shared the lock (at most {most} at once)");
    Ok(())
}
