//! Counting semaphores (`lock_core::backend::Lease::Permit`): bullets S1 to SI2, then the manager's
//! `Semaphore` end to end. Skipped on backends without semaphores.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use lock_core::{
    DynLockBackend, FencingToken, LockKey, LockToken, RetryPolicy, backend::AcquireOutcome,
    backend::ExtendOutcome, backend::Lease, backend::LeaseKind, backend::ReleaseOutcome,
};

use super::util::offered;
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, check_eq, fail};

fn permits(cx: &TestContext) -> Result<&DynLockBackend, Failure> {
    offered(cx, LeaseKind::Permit)
}

/// Takes a permit and insists it is granted; returns its fence.
async fn must_get(
    cx: &TestContext,
    key: &LockKey,
    token: &LockToken,
    limit: u32,
    ttl: Duration,
) -> Result<Option<FencingToken>, Failure> {
    match permits(cx)?.acquire_lease(key, token, Lease::Permit { limit }, ttl).await? {
        AcquireOutcome::Acquired { fencing } => {
            check_eq!(fencing.is_some(), cx.caps().fencing, "S6: fencing as advertised");
            Ok(fencing)
        }
        other => fail!("S1: expected a permit of {key} (limit {limit}), got {other:?}"),
    }
}

/// Asks for a permit and insists it is refused; returns the reported wait.
async fn must_be_full(
    cx: &TestContext,
    key: &LockKey,
    limit: u32,
) -> Result<Option<Duration>, Failure> {
    let token = cx.token()?;
    match permits(cx)?.acquire_lease(key, &token, Lease::Permit { limit }, cx.ms(10_000)).await? {
        AcquireOutcome::Held { ttl_remaining } => Ok(ttl_remaining),
        other => fail!("S2: {key} should be full at limit {limit}, got {other:?}"),
    }
}

/// The live permits' holders.
async fn holders(cx: &TestContext, key: &LockKey) -> Result<Vec<LockToken>, Failure> {
    let held = permits(cx)?.inspect_lease(key, LeaseKind::Permit).await?.into_infos();
    Ok(held.into_iter().map(|p| p.holder).collect())
}

/// S1, S2, SI1: up to `limit` holders, each its own token; the next is refused with at most the
/// soonest permit's remaining time, and `inspect_lease` lists exactly the holders.
pub async fn semaphore_grants_up_to_its_limit(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-limit")?;
    let tokens = [cx.token()?, cx.token()?, cx.token()?];
    let ttls = [cx.ms(30_000), cx.ms(2_000), cx.ms(30_000)];
    for (token, ttl) in tokens.iter().zip(ttls) {
        must_get(&cx, &key, token, 3, ttl).await?;
    }
    let wait = must_be_full(&cx, &key, 3).await?;
    check!(
        wait.is_none_or(|w| w <= cx.ms(2_000)),
        "S2: the full semaphore reported {wait:?}, longer than its soonest permit's 2 s"
    );
    let mut seen = holders(&cx, &key).await?;
    seen.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut want = tokens.to_vec();
    want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    check_eq!(seen, want, "SI1: inspect_lease lists the three holders");
    for info in permits(&cx)?.inspect_lease(&key, LeaseKind::Permit).await?.into_infos() {
        check!(
            info.ttl_remaining.is_some_and(|t| t <= cx.ms(30_000)),
            "SI1: a permit's remaining time {:?} is more than was set",
            info.ttl_remaining
        );
    }
    Ok(())
}

/// S3: a holder asking again renews its own permit, with the same fence, even when the
/// semaphore is full.
pub async fn semaphore_renewal_keeps_the_permit(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-renew")?;
    let (a, b) = (cx.token()?, cx.token()?);
    let first = must_get(&cx, &key, &a, 2, cx.ms(500)).await?;
    must_get(&cx, &key, &b, 2, cx.ms(30_000)).await?;
    let again = must_get(&cx, &key, &a, 2, cx.ms(30_000)).await?;
    check_eq!(again, first, "S3: the renewal's fence");
    cx.sleep(800).await;
    check!(holders(&cx, &key).await?.contains(&a), "S3: the renewal did not reset the ttl");
    check_eq!(holders(&cx, &key).await?.len(), 2, "S3: a renewal took a second permit");
    Ok(())
}

/// SR1, SR2: the holder's release frees its slot at once; a stranger's release, or a second
/// one, is `NotHeld` and changes nothing.
pub async fn semaphore_release_frees_a_slot(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-release")?;
    let (a, b) = (cx.token()?, cx.token()?);
    must_get(&cx, &key, &a, 1, cx.ms(30_000)).await?;
    let s = permits(&cx)?;
    check_eq!(
        s.release_lease(&key, &b, LeaseKind::Permit).await?,
        ReleaseOutcome::NotHeld,
        "SR2: a stranger"
    );
    check_eq!(holders(&cx, &key).await?, vec![a.clone()], "SR2: the stranger changed the holders");
    check_eq!(
        s.release_lease(&key, &a, LeaseKind::Permit).await?,
        ReleaseOutcome::Released,
        "SR1: the holder"
    );
    check_eq!(
        s.release_lease(&key, &a, LeaseKind::Permit).await?,
        ReleaseOutcome::NotHeld,
        "SR2: twice"
    );
    must_get(&cx, &key, &b, 1, cx.ms(30_000)).await?;
    Ok(())
}

/// S5, SE1, SE2: a permit frees its slot at its ttl; an extension keeps one past its first ttl;
/// an expired permit cannot be extended back to life.
pub async fn semaphore_permits_expire_and_extend(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-expire")?;
    let (a, b, c) = (cx.token()?, cx.token()?, cx.token()?);
    must_get(&cx, &key, &a, 2, cx.ms(300)).await?;
    must_get(&cx, &key, &b, 2, cx.ms(300)).await?;
    let s = permits(&cx)?;
    check_eq!(
        s.extend_lease(&key, &b, LeaseKind::Permit, cx.ms(30_000)).await?,
        ExtendOutcome::Extended,
        "SE1: the holder's extension"
    );
    check_eq!(
        s.extend_lease(&key, &c, LeaseKind::Permit, cx.ms(30_000)).await?,
        ExtendOutcome::NotHeld,
        "SE2: a stranger's extension"
    );
    cx.sleep(700).await;
    check_eq!(holders(&cx, &key).await?, vec![b.clone()], "S5/SE1: after the first ttl");
    check_eq!(
        s.extend_lease(&key, &a, LeaseKind::Permit, cx.ms(30_000)).await?,
        ExtendOutcome::NotHeld,
        "SE2: the expired permit's extension"
    );
    check_eq!(holders(&cx, &key).await?, vec![b.clone()], "SE2: an expired permit came back");
    must_get(&cx, &key, &c, 2, cx.ms(30_000)).await?;
    must_be_full(&cx, &key, 2).await?;
    Ok(())
}

/// S6: every permit's fence is above every earlier one, across releases and expiries.
pub async fn semaphore_fences_increase(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-fence")?;
    let mut last: Option<FencingToken> = None;
    for round in 0..6 {
        let token = cx.token()?;
        let ttl = if round % 2 == 0 { cx.ms(30_000) } else { cx.ms(50) };
        let fence = must_get(&cx, &key, &token, 2, ttl).await?;
        let fence = fence.ok_or_else(|| Failure::new("no fence", "S6"))?;
        check!(last.is_none_or(|l| fence > l), "S6: fence {fence} after {last:?}");
        last = Some(fence);
        if round % 2 == 0 {
            permits(&cx)?.release_lease(&key, &token, LeaseKind::Permit).await?;
        } else {
            cx.sleep(100).await;
        }
    }
    Ok(())
}

/// The limit is each caller's: with two permits held, a caller with limit 2 is refused, one
/// with limit 3 gets in, and then one with limit 3 is refused as well.
pub async fn semaphore_limits_are_each_callers(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-disagree")?;
    must_get(&cx, &key, &cx.token()?, 2, cx.ms(30_000)).await?;
    must_get(&cx, &key, &cx.token()?, 2, cx.ms(30_000)).await?;
    must_be_full(&cx, &key, 2).await?;
    must_be_full(&cx, &key, 1).await?;
    must_get(&cx, &key, &cx.token()?, 3, cx.ms(30_000)).await?;
    must_be_full(&cx, &key, 3).await?;
    check_eq!(holders(&cx, &key).await?.len(), 3, "three holders");
    Ok(())
}

/// S4: 24 concurrent contenders for a semaphore of 5: exactly 5 get a permit.
pub async fn semaphore_concurrent_acquires_respect_the_limit(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-race")?;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (backend, key, token, ttl) =
            (cx.backend().clone(), key.clone(), cx.token()?, cx.ms(30_000));
        tasks.push(tokio::spawn(async move {
            let s = backend;
            s.acquire_lease(&key, &token, Lease::Permit { limit: 5 }, ttl).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        let outcome = task.await.map_err(|e| Failure::new(format!("task: {e}"), "join"))??;
        if matches!(outcome, AcquireOutcome::Acquired { .. }) {
            won += 1;
        }
    }
    check_eq!(won, 5, "S4: permits granted to 24 contenders at limit 5");
    Ok(())
}

/// SI2: reading the permits changes neither their holders nor their expiry.
pub async fn semaphore_inspect_is_read_only(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-read")?;
    let token = cx.token()?;
    must_get(&cx, &key, &token, 1, cx.ms(400)).await?;
    for _ in 0..5 {
        holders(&cx, &key).await?;
    }
    cx.sleep(700).await;
    check!(holders(&cx, &key).await?.is_empty(), "SI2: reading kept the permit alive");
    Ok(())
}

/// SR3: a released permit wakes every watch on the semaphore.
pub async fn semaphore_release_wakes_watchers(cx: TestContext) -> CaseResult {
    let key = cx.key("sem-watch")?;
    let token = cx.token()?;
    must_get(&cx, &key, &token, 1, cx.ms(30_000)).await?;
    let s = permits(&cx)?;
    let watch = s.watch_lease(&key, &token, LeaseKind::Permit).await?;
    s.release_lease(&key, &token, LeaseKind::Permit).await?;
    let woken = tokio::time::timeout(cx.ms(2_000), watch).await;
    check!(woken.is_ok(), "SR3: the watch did not resolve within 2 s of the release");
    Ok(())
}

/// The manager's `Semaphore`: 12 tasks × 10 rounds share a semaphore of 3 with auto-refreshed
/// permits held past their ttl; never more than 3 inside at once, every task finishes, and
/// fences rise in the order permits were granted.
pub async fn semaphore_holders_never_exceed_the_limit(cx: TestContext) -> CaseResult {
    let policy =
        RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(20)).jitter(0.5);
    let locks = cx.manager_builder().retry(policy).build()?;
    let pool = locks.semaphore("sem-pool", 3)?;
    let inside = Arc::new(AtomicU32::new(0));
    let most = Arc::new(AtomicU32::new(0));
    let fences = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (pool, inside, most, fences) =
            (pool.clone(), inside.clone(), most.clone(), fences.clone());
        let (ttl, wait, hold) = (cx.ms(300), cx.ms(60_000), cx.ms(5));
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let permit = pool.permit().ttl(ttl).auto_refresh().wait(wait).acquire().await?;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                fences.lock().unwrap_or_else(|e| e.into_inner()).push(permit.fencing_token());
                tokio::time::sleep(hold).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                permit.release().await?;
            }
            Ok::<(), lock_core::Error>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| Failure::new(format!("task: {e}"), "join"))??;
    }
    let most = most.load(Ordering::SeqCst);
    check!(most <= 3, "{most} holders of a semaphore of 3 at once");
    check!(most >= 2, "never more than {most} holder at once: the permits were not shared");
    let fences = fences.lock().unwrap_or_else(|e| e.into_inner()).clone();
    check_eq!(fences.len(), 120, "permits granted");
    if cx.caps().fencing {
        let mut sorted: Vec<_> = fences.iter().flatten().collect();
        sorted.dedup();
        check_eq!(sorted.len(), 120, "fences were repeated");
    }
    check!(pool.holders().await?.is_empty(), "permits left after every task released");
    Ok(())
}

/// A waiter for a full semaphore is woken by a release (with notification) or its retry, and
/// an auto-refreshed permit outlives its ttl.
pub async fn semaphore_waiter_gets_a_released_permit(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let pool = locks.semaphore("sem-wait", 1)?;
    let held = pool.permit().ttl(cx.ms(300)).auto_refresh().try_acquire().await?;
    let held = held.ok_or_else(|| Failure::new("setup: the free semaphore was full", "wait"))?;
    let waiter = {
        let pool = pool.clone();
        let wait = cx.ms(10_000);
        tokio::spawn(async move {
            let retry = RetryPolicy::fixed(Duration::from_millis(50));
            pool.permit().retry(retry).wait(wait).acquire().await
        })
    };
    cx.sleep(900).await;
    check!(held.is_valid(), "the auto-refreshed permit ran out");
    check!(!waiter.is_finished(), "the waiter got a permit while the only one was held");
    held.release().await?;
    let permit = tokio::time::timeout(cx.ms(3_000), waiter)
        .await
        .map_err(|_| Failure::new("the waiter was not served within 3 s", "wait"))?
        .map_err(|e| Failure::new(format!("task: {e}"), "join"))??;
    permit.release().await?;
    Ok(())
}
