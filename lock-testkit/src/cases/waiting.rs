//! Waiting and retry through `LockManager`.

use std::time::Duration;

use lock_core::{Error, RetryPolicy, backend::AcquireOutcome};
use tokio::time::Instant;

use super::util::free_lock;
use crate::context::TestContext;
use crate::failure::{CaseResult, Failure};
use crate::{check, fail};

/// A try on a held lock returns `Ok(None)` at once.
pub async fn try_lock_returns_none_under_contention(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let held = locks.try_lock("busy", cx.ms(10_000)).await?;
    check!(held.is_some(), "the first try did not get the free lock");
    let started = Instant::now();
    check!(locks.try_lock("busy", cx.ms(10_000)).await?.is_none(), "a second try got a held lock");
    check!(started.elapsed() < cx.ms(1_000), "a single try took {:?}", started.elapsed());
    Ok(())
}

/// `acquire` waits while the lock is held and gets it soon after the release.
pub async fn acquire_waits_for_release(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let holder = free_lock(&cx, &locks, "handoff", cx.ms(10_000), |r| r).await?;
    let waiter = {
        let locks = locks.clone();
        let policy = RetryPolicy::fixed(cx.ms(20));
        let wait = cx.ms(5_000);
        tokio::spawn(async move {
            let started = Instant::now();
            let guard = locks.lock("handoff").retry(policy).wait(wait).acquire().await;
            (guard, started.elapsed())
        })
    };
    cx.sleep(200).await;
    holder.release().await?;
    let (guard, waited) =
        waiter.await.map_err(|e| Failure::new(format!("waiter panicked: {e}"), "join"))?;
    let guard = guard?;
    check!(
        waited >= cx.ms(150),
        "the waiter got the lock after {waited:?}, while it was still held"
    );
    check!(guard.is_valid(), "the waiter's guard is not valid");
    Ok(())
}

/// `acquire` with a wait deadline gives up with `WaitTimeout` close to the deadline.
pub async fn acquire_gives_up_at_its_deadline(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let _holder = locks.try_lock("deadline", cx.ms(10_000)).await?;
    let started = Instant::now();
    let result = locks
        .lock("deadline")
        .retry(RetryPolicy::fixed(cx.ms(20)))
        .wait(cx.ms(300))
        .acquire()
        .await;
    let waited = started.elapsed();
    match result {
        Err(Error::WaitTimeout { attempts, .. }) => {
            check!(attempts >= 2, "only {attempts} attempts in a 300 ms wait with 20 ms retries");
        }
        Err(e) => fail!("expected WaitTimeout, got {e}"),
        Ok(_) => fail!("acquired a lock that was held"),
    }
    check!(
        waited >= cx.ms(250) && waited <= cx.ms(1_500),
        "gave up after {waited:?} for a 300 ms deadline"
    );
    Ok(())
}

/// A retry policy's attempt cap ends the wait, with `Ok(None)` from `try_acquire`.
pub async fn retry_attempts_are_bounded(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let _holder = locks.try_lock("bounded", cx.ms(10_000)).await?;
    let started = Instant::now();
    let policy = RetryPolicy::fixed(cx.ms(40)).max_attempts(4);
    let got = locks.lock("bounded").retry(policy).try_acquire().await?;
    let waited = started.elapsed();
    check!(got.is_none(), "acquired a lock that was held");
    check!(
        waited >= cx.ms(110) && waited <= cx.ms(2_000),
        "4 attempts 40 ms apart took {waited:?}"
    );
    Ok(())
}

/// A waiter with a long backoff still wakes when the holder's ttl runs out, not after its
/// backoff: sleeps are capped by the remaining ttl `Held` reports.
pub async fn waiter_sleeps_no_longer_than_the_holders_ttl(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let key = locks.key("expiring")?;
    let probe = cx.backend().try_acquire(&key, &cx.token()?, cx.ms(400)).await?;
    check!(
        matches!(probe, AcquireOutcome::Acquired { .. }),
        "setup: the free lock was not granted: {probe:?}"
    );
    match cx.backend().try_acquire(&key, &cx.token()?, cx.ms(400)).await? {
        AcquireOutcome::Held { ttl_remaining: Some(left) } if left >= cx.ms(100) => {}
        AcquireOutcome::Held { .. } => {
            // A2 allows no time left: the manager then waits by its policy's spacing.
            return Err(Failure::skip("the backend does not report the holder's remaining ttl"));
        }
        other => fail!("expected Held, got {other:?}"),
    }
    let started = Instant::now();
    let policy = RetryPolicy::fixed(Duration::from_secs(20));
    let guard = locks.lock("expiring").retry(policy).wait(cx.ms(10_000)).acquire().await?;
    let waited = started.elapsed();
    check!(
        waited <= cx.ms(400 + 1_000),
        "took {waited:?} to get a lock whose holder had 400 ms left"
    );
    drop(guard);
    Ok(())
}

/// With release notification, a waiter with a long backoff wakes as soon as the holder releases.
pub async fn release_notification_wakes_a_waiter_early(cx: TestContext) -> CaseResult {
    let locks = cx.manager()?;
    let holder = free_lock(&cx, &locks, "notify", cx.ms(30_000), |r| r).await?;
    let waiter = {
        let locks = locks.clone();
        let wait = cx.ms(20_000);
        tokio::spawn(async move {
            let guard = locks
                .lock("notify")
                .retry(RetryPolicy::fixed(Duration::from_secs(5)))
                .wait(wait)
                .acquire()
                .await;
            (guard, Instant::now())
        })
    };
    cx.sleep(300).await;
    let released = Instant::now();
    holder.release().await?;
    let (guard, got) =
        waiter.await.map_err(|e| Failure::new(format!("waiter panicked: {e}"), "join"))?;
    guard?;
    let delay = got.saturating_duration_since(released);
    check!(
        delay <= cx.ms(1_000),
        "the waiter got the lock {delay:?} after the release; a notification should wake it well before its 5 s backoff"
    );
    Ok(())
}
