//! Guards from acquisition to release: `run`, drop, cancellation, leak and hand-over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lock_core::{Error, HolderId, backend::ReleaseOutcome};
use tokio::time::Instant;

use super::util::{
    delete_behind_the_holders_back, free_lock, must_be_free, must_be_held_by, wait_until_free,
};
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

/// `run` returns the work's value and releases the lock.
pub async fn run_returns_the_work_value_and_releases(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let (valid, fencing) = locks
        .with_lock("run", cx.ms(10_000), |lock| async move {
            Ok::<_, Error>((lock.is_valid(), lock.fencing_token()))
        })
        .await?;
    check!(valid, "the lock was not valid inside the critical section");
    if cx.caps().fencing {
        check!(fencing.is_some(), "no fencing token inside the critical section");
    }
    must_be_free(&cx, &locks.key("run")?).await
}

/// Sets its flag when dropped: proves a future was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// When the lock is lost under `run`, the work's future is dropped and `Error::Lost` returned.
pub async fn run_stops_the_work_when_the_lock_is_lost(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let dropped = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let flag = dropped.clone();
    let deleter = cx.clone();
    let result = locks
        .lock("lost")
        .ttl(cx.ms(300))
        .auto_refresh()
        .run(|lock| async move {
            let _flag = DropFlag(flag);
            // The key vanishes behind the holder's back, as after an operator's DEL.
            if let Err(failure) = delete_behind_the_holders_back(&deleter, lock.key()).await {
                panic!("setup: {failure}");
            }
            std::future::pending::<()>().await;
            Ok::<(), Error>(())
        })
        .await;
    match result {
        Err(Error::Lost { .. }) => {}
        Err(e) => fail!("expected Error::Lost, got {e}"),
        Ok(()) => fail!("run returned Ok although its work never finishes"),
    }
    check!(dropped.load(Ordering::SeqCst), "the work's future was not dropped");
    check!(
        started.elapsed() <= cx.ms(2_000),
        "the loss stopped the work only after {:?}",
        started.elapsed()
    );
    Ok(())
}

#[derive(Debug)]
enum WorkError {
    Lock(#[allow(dead_code)] Error),
    Failed,
}

impl From<Error> for WorkError {
    fn from(e: Error) -> Self {
        Self::Lock(e)
    }
}

/// When the work fails, `run` passes its error through and still releases the lock.
pub async fn run_releases_when_the_work_fails(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let result = locks
        .with_lock("fails", cx.ms(10_000), |_lock| async { Err::<(), _>(WorkError::Failed) })
        .await;
    check!(
        matches!(result, Err(WorkError::Failed)),
        "run did not return the work's error: {result:?}"
    );
    must_be_free(&cx, &locks.key("fails")?).await
}

/// Dropping a guard releases the lock in the background, long before its ttl.
pub async fn dropped_guard_is_released(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = free_lock(&cx, &locks, "dropped", cx.ms(30_000), |r| r).await?;
    let key = guard.key().clone();
    drop(guard);
    wait_until_free(&cx, &key, cx.ms(1_000)).await?;
    Ok(())
}

/// C1 (calls in flight): acquire futures dropped at random points (some after the store granted
/// the lock) leave no lock behind: whatever they may have won is released, after the acquire.
pub async fn cancelled_acquires_leave_no_key(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let mut keys = Vec::new();
    for i in 0..150 {
        let name = format!("cancel-{i}");
        let acquire = locks.lock(&name).ttl(cx.ms(30_000)).try_acquire();
        let after = Duration::from_micros(rand::random_range(0..1_500));
        match tokio::time::timeout(after, acquire).await {
            Ok(Ok(Some(guard))) => drop(guard),
            Ok(Ok(None)) => fail!("a free key was refused"),
            Ok(Err(e)) => fail!("acquire failed: {e}"),
            Err(_) => {}
        }
        keys.push(locks.key(&name)?);
    }
    for key in &keys {
        if let Err(failure) = wait_until_free(&cx, key, cx.ms(2_000)).await {
            fail!(
                "C1: a cancelled acquire left a lock behind ({failure}): the release the manager \
                 sent after it was applied first, or the acquire's future resolved before the \
                 store had applied it (see `LockBackend`, \"Calls in flight\")"
            );
        }
    }
    Ok(())
}

/// A leaked guard's lock stays in the store until its ttl and then expires.
pub async fn leaked_guard_keeps_the_lock_until_its_ttl(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = free_lock(&cx, &locks, "leaked", cx.ms(500), |r| r).await?;
    let (key, holder) = (guard.key().clone(), guard.holder());
    let _handover = guard.leak();
    cx.sleep(150).await;
    must_be_held_by(&cx, &key, holder).await?;
    wait_until_free(&cx, &key, cx.ms(1_500)).await?;
    Ok(())
}

/// A leaked guard's handover takes the lock up again in another manager, with the same fencing
/// token; a second handover is released with `release_handover`.
pub async fn handover_passes_a_lock_on(cx: TestContext) -> CaseResult {
    let (first, second) = (cx.manager()?, cx.manager()?);
    let guard = free_lock(&cx, &first, "handover", cx.ms(10_000), |r| r).await?;
    let (fencing, holder) = (guard.fencing_token(), guard.holder());
    let handover = guard.leak();
    check_eq!(handover.fencing_token(), fencing, "fencing token in the handover");
    let taken = second.adopt(handover).ttl(cx.ms(10_000)).try_acquire().await?;
    let taken = taken.ok_or_else(|| {
        Failure::new("re-acquiring with the leaked guard's token was refused", "handover")
    })?;
    check_eq!(taken.fencing_token(), fencing, "fencing token after the hand-over");
    check_eq!(taken.holder(), holder, "holder after the hand-over");
    check!(
        second.try_lock("handover", cx.ms(10_000)).await?.is_none(),
        "a fresh token got a handed-over lock"
    );
    let handover = taken.leak();
    check_eq!(
        second.release_handover(handover).await?,
        ReleaseOutcome::Released,
        "release of a handover"
    );
    must_be_free(&cx, &second.key("handover")?).await
}

/// Releasing a guard after its ttl ran out reports `NotHeld`.
pub async fn release_after_expiry_reports_not_held(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let guard = free_lock(&cx, &locks, "late", cx.ms(150), |r| r).await?;
    cx.sleep(450).await;
    check_eq!(guard.release().await?, ReleaseOutcome::NotHeld, "release after expiry");
    Ok(())
}

/// `is_locked` and `info` report the current holder.
pub async fn is_locked_and_info_report_the_holder(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    check!(!locks.is_locked("info").await?, "a free lock reads as locked");
    check!(locks.info("info").await?.is_none(), "a free lock has info");
    let guard = free_lock(&cx, &locks, "info", cx.ms(10_000), |r| r).await?;
    check!(locks.is_locked("info").await?, "a held lock reads as free");
    let info =
        locks.info("info").await?.ok_or_else(|| Failure::new("a held lock has no info", "info"))?;
    check_eq!(info.holder, guard.holder(), "holder reported by info");
    let stored = must_be_held_by(&cx, guard.key(), guard.holder()).await?;
    check_eq!(info.holder, HolderId::of(&stored.holder), "holder reported by info");
    if cx.caps().fencing {
        check_eq!(info.fencing, guard.fencing_token(), "fencing token reported by info");
    }
    check!(
        info.ttl_remaining.is_some_and(|t| t <= cx.ms(10_000)),
        "ttl reported by info: {:?}",
        info.ttl_remaining
    );
    guard.release().await?;
    check!(!locks.is_locked("info").await?, "a released lock reads as locked");
    Ok(())
}
