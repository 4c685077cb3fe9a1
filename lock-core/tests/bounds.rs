//! Every await of the manager is bounded: by the wait deadline while acquiring, and by the
//! call timeout for each backend call, whatever the backend does.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{BackendErrorKind, Error, LockManager, LossReason, RetryPolicy};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// L4: a subscription that takes seconds (a slow or reconnecting subscriber link) does not
/// stretch `wait(100ms)`: the acquire gives up at its deadline.
#[tokio::test(start_paused = true)]
async fn a_slow_subscription_does_not_stretch_the_wait() {
    let backend = Hooked::default();
    *backend.hooks.watch_delay.lock().expect("delay") = Duration::from_secs(4);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("slow-watch", Duration::from_secs(30)).await.expect("ok");
    let started = Instant::now();
    let got = locks.lock("slow-watch").wait(100 * MS).try_acquire().await.expect("ok");
    assert!(got.is_none(), "the lock is held");
    let waited = started.elapsed();
    assert!(waited <= 110 * MS, "wait(100ms) returned after {waited:?}");
}

/// L4: the same with a backend that never answers the subscription at all.
#[tokio::test(start_paused = true)]
async fn a_subscription_that_never_answers_does_not_stretch_the_wait() {
    let backend = Hooked::default();
    *backend.hooks.watch_delay.lock().expect("delay") = Duration::from_secs(3600);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("dead-watch", Duration::from_secs(30)).await.expect("ok");
    let started = Instant::now();
    let err = locks.lock("dead-watch").wait(250 * MS).acquire().await.expect_err("held");
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err}");
    assert!(started.elapsed() <= 260 * MS, "gave up after {:?}", started.elapsed());
}

/// Every backend call is bounded by the manager's call timeout: a lost reply to an auto-refresh
/// extension (a client without a reply timeout) does not hang the refresh, and the lock stays
/// held by the next extension instead of being lost at its deadline.
#[tokio::test(start_paused = true)]
async fn a_lost_refresh_reply_does_not_lose_a_healthy_lock() {
    let backend = Hooked::default();
    // The first extension is applied but its reply never comes.
    backend.hooks.extend.lock().expect("steps").push(Step::unanswered(MS));
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_millis(500))
        .build()
        .expect("settings");
    let guard = locks
        .lock("lost-reply")
        .ttl(Duration::from_secs(3))
        .auto_refresh()
        .acquire()
        .await
        .expect("acquire");
    // Refreshes at 1 s (lost), retried after the timeout, then every second: 10 s is 3 ttls.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(guard.is_valid(), "lost: {:?}", guard.loss());
    assert!(backend.hooks.calls("extend") >= 5, "{} extensions", backend.hooks.calls("extend"));
    guard.release().await.expect("release");
}

/// An acquire attempt whose reply never comes fails with a temporary timeout after the call
/// timeout, and releases what it may have won (once a further call timeout has passed without
/// an answer).
#[tokio::test(start_paused = true)]
async fn an_unanswered_acquire_times_out_and_is_released() {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step::unanswered(MS));
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_millis(300))
        .build()
        .expect("settings");
    let started = Instant::now();
    let err = locks.try_lock("unanswered", Duration::from_secs(30)).await.expect_err("timeout");
    assert!(started.elapsed() <= 310 * MS, "took {:?}", started.elapsed());
    match &err {
        Error::Backend(e) => assert_eq!(e.kind(), BackendErrorKind::Timeout, "{err}"),
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(err.is_temporary());
    tokio::time::sleep(310 * MS).await;
    assert!(!locks.is_locked("unanswered").await.expect("inspect"), "the ambiguous grant is kept");
}

/// A manual extension whose reply never comes fails after the call timeout instead of hanging.
#[tokio::test(start_paused = true)]
async fn an_unanswered_extension_times_out() {
    let backend = Hooked::default();
    backend.hooks.extend.lock().expect("steps").push(Step::unanswered(MS));
    let locks = LockManager::builder(backend.clone())
        .call_timeout(Duration::from_millis(200))
        .build()
        .expect("settings");
    let guard = locks.try_lock("extend", Duration::from_secs(30)).await.expect("ok").expect("free");
    let started = Instant::now();
    let err = guard.extend(Duration::from_secs(30)).await.expect_err("no reply");
    assert!(err.is_temporary(), "{err}");
    assert!(started.elapsed() <= 210 * MS, "took {:?}", started.elapsed());
    assert!(guard.is_valid(), "a timed-out extension does not lose the lock");
    assert_eq!(guard.loss(), None::<LossReason>);
}

/// A watch that wakes the waiter for nothing (W4 allows it) neither shortens nor stretches
/// the policy's spacing: four attempts 40 ms apart take exactly 120 ms, every time (a wake-up
/// racing the end of a backoff is the next attempt, not one more look before it).
#[tokio::test(start_paused = true)]
async fn spurious_wake_ups_keep_the_retry_spacing() {
    let backend = Hooked::default();
    backend.hooks.spurious_watch.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    for round in 0..20 {
        let name = format!("spurious-{round}");
        let _held = locks.try_lock(&name, Duration::from_secs(30)).await.expect("ok");
        let started = Instant::now();
        let policy = RetryPolicy::fixed(40 * MS).max_attempts(4);
        let got = locks.lock(&name).retry(policy).try_acquire().await.expect("ok");
        assert!(got.is_none());
        let waited = started.elapsed();
        assert_eq!(waited, 120 * MS, "round {round}: 4 attempts 40 ms apart took {waited:?}");
    }
}

/// A watch that keeps waking the waiter for nothing cannot keep it past its deadline, even in
/// the middle of a long backoff.
#[tokio::test(start_paused = true)]
async fn spurious_wake_ups_do_not_outlast_the_deadline() {
    let backend = Hooked::default();
    backend.hooks.spurious_watch.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("spurious-deadline", Duration::from_secs(60)).await.expect("ok");
    let started = Instant::now();
    let policy = RetryPolicy::fixed(Duration::from_secs(20));
    let got = locks.lock("spurious-deadline").retry(policy).wait(100 * MS).try_acquire().await;
    assert!(got.expect("ok").is_none());
    assert!(started.elapsed() <= 110 * MS, "gave up after {:?}", started.elapsed());
    let looks = backend.hooks.calls("acquire");
    assert!(looks <= 110, "{looks} looks at the key in 100 ms: wake-ups must stay 1 ms apart");
}

/// A subscription that takes a while (within the call timeout) still registers, and the release
/// wakes the waiter long before its backoff ends.
#[tokio::test(start_paused = true)]
async fn a_slow_subscription_still_wakes_the_waiter() {
    let backend = Hooked::default();
    *backend.hooks.watch_delay.lock().expect("delay") = 50 * MS;
    let locks = LockManager::new(backend.clone());
    let held =
        locks.try_lock("slow-sub", Duration::from_secs(30)).await.expect("ok").expect("free");
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move {
            let policy = RetryPolicy::fixed(Duration::from_secs(5));
            locks.lock("slow-sub").retry(policy).wait(Duration::from_secs(20)).acquire().await
        })
    };
    tokio::time::sleep(200 * MS).await;
    let released = Instant::now();
    held.release().await.expect("release");
    let guard = waiter.await.expect("join").expect("acquired");
    assert!(released.elapsed() < 100 * MS, "woken {:?} after the release", released.elapsed());
    drop(guard);
}

/// After an attempt that ended in a temporary error, the waiter sleeps out its backoff and does
/// not look at the key on every wake-up: a watch that keeps firing (spuriously, or as a broken
/// link might) cannot turn a failing store into one hammered every millisecond.
#[tokio::test(start_paused = true)]
async fn a_failing_store_is_not_looked_at_on_every_wake_up() {
    let backend = Hooked::default();
    backend.hooks.spurious_watch.store(true, Ordering::SeqCst);
    let blip = Step::fails(BackendErrorKind::Connection);
    // The holder's grant and the waiter's first look (held) succeed; every later call fails.
    backend.hooks.acquire.lock().expect("steps").extend([Step::default(), Step::default()]);
    backend.hooks.acquire.lock().expect("steps").extend([blip; 50]);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("failing", Duration::from_secs(30)).await.expect("ok");
    let policy = RetryPolicy::fixed(40 * MS).max_attempts(2);
    let err = locks.lock("failing").retry(policy).try_acquire().await.expect_err("failing");
    assert!(err.is_temporary(), "{err}");
    // Holder 1 + attempt 1 (held) + the look after subscribing (fails) + attempt 2 (fails).
    let calls = backend.hooks.calls("acquire");
    assert!(calls <= 5, "{calls} calls to a failing store within one 40 ms backoff");
}

/// L4 for lock sets: a subscription that never answers does not stretch a set's `wait(100ms)`:
/// watching the blocking member is bounded by the wait deadline and the call timeout, as for a
/// single lock (the set awaited the watch with no bound: here, the subscription's hour).
#[tokio::test(start_paused = true)]
async fn a_subscription_that_never_answers_does_not_stretch_a_sets_wait() {
    let backend = Hooked::default();
    *backend.hooks.watch_delay.lock().expect("delay") = Duration::from_secs(3600);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("set-b", Duration::from_secs(30)).await.expect("ok");
    let started = Instant::now();
    let got = locks.lock_all(["set-a", "set-b"]).wait(100 * MS).try_acquire().await.expect("ok");
    assert!(got.is_none(), "a member is held");
    let waited = started.elapsed();
    assert!(waited <= 110 * MS, "wait(100ms) returned after {waited:?}");
}

/// S10 / L4 for every kind: with a subscription that never answers, a permit, a read, a write,
/// an upgrade and a fair wait each give up at their `wait(250 ms)`.
#[tokio::test(start_paused = true)]
async fn a_subscription_that_never_answers_does_not_stretch_any_kinds_wait() {
    let backend = Hooked::default();
    for flag in [&backend.hooks.semaphores, &backend.hooks.rw, &backend.hooks.fair] {
        flag.store(true, Ordering::SeqCst);
    }
    *backend.hooks.watch_delay.lock().expect("delay") = Duration::from_secs(3600);
    let locks = LockManager::new(backend.clone());
    let (ttl, wait) = (Duration::from_secs(30), 250 * MS);
    let bounded = |what: &str, started: Instant, outcome: Result<(), Error>| {
        let waited = started.elapsed();
        assert!(matches!(outcome, Err(Error::WaitTimeout { .. })), "{what}: {outcome:?}");
        assert!(waited <= 260 * MS, "{what}: wait(250ms) gave up after {waited:?}");
    };
    let semaphore = locks.semaphore("sem", 1).expect("semaphore");
    let _permit = semaphore.permit().ttl(ttl).acquire().await.expect("free");
    let started = Instant::now();
    let outcome = semaphore.permit().ttl(ttl).wait(wait).acquire().await.map(drop);
    bounded("permit", started, outcome);
    let lock = locks.rw_lock("rw").expect("rw");
    let write = lock.write().ttl(ttl).acquire().await.expect("free");
    let started = Instant::now();
    bounded("read", started, lock.read().ttl(ttl).wait(wait).acquire().await.map(drop));
    drop(write);
    tokio::task::yield_now().await;
    let upgradeable = lock.upgradeable_read().ttl(ttl).acquire().await.expect("free");
    let _reader = lock.read().ttl(ttl).acquire().await.expect("readers share");
    let started = Instant::now();
    bounded("write", started, lock.write().ttl(ttl).wait(wait).acquire().await.map(drop));
    let started = Instant::now();
    let upgrade = lock.upgrade(upgradeable).ttl(ttl).wait(wait).acquire().await;
    bounded("upgrade", started, upgrade.map(drop).map_err(Error::from));
    let _first = locks.lock("fair").ttl(ttl).fair().acquire().await.expect("free");
    let started = Instant::now();
    bounded(
        "fair",
        started,
        locks.lock("fair").ttl(ttl).fair().wait(wait).acquire().await.map(drop),
    );
}

/// A store may report no time left for a lock that stays held (A2 says "at most"): the retry
/// spacing holds anyway. Before, every attempt followed the reported ttl: four attempts 40 ms
/// apart took 3 ms. Now a hint buys a few extra looks per backoff, each at least twice as far
/// from the one before, and attempts stay 40 ms apart: a store reporting 0 or 1 ms left gets
/// looks about 2, 5, 10, 19 and 36 ms after each attempt.
#[tokio::test(start_paused = true)]
async fn a_store_reporting_no_time_left_does_not_shorten_the_spacing() {
    for (reported, most_looks) in [(Duration::ZERO, 5), (MS, 5)] {
        let backend = Hooked::default();
        *backend.hooks.reported_ttl.lock().expect("reported") = Some(reported);
        let locks = LockManager::new(backend.clone());
        let _held = locks.try_lock("no-time-left", Duration::from_secs(30)).await.expect("ok");
        let policy = RetryPolicy::fixed(40 * MS).max_attempts(4);
        let started = Instant::now();
        let got = locks.lock("no-time-left").retry(policy).try_acquire().await.expect("ok");
        assert!(got.is_none(), "the lock is held");
        let waited = started.elapsed();
        assert!(waited >= 120 * MS, "four attempts 40 ms apart took {waited:?}");
        let calls = backend.hooks.calls("acquire");
        let most = 1 + 4 * (1 + most_looks) + 1;
        assert!(calls <= most, "reported {reported:?}: {calls} calls for four attempts");
    }
}

/// W4's spacing is paid by spurious wake-ups, not by real handoffs: a waiter woken by a
/// release in the same millisecond as its last look takes the lock at once. (The first look
/// after a wake-up used to wait until a millisecond after the previous look, rounded up to the
/// timer's tick: the default-settings handoff of `lockctl bench` paid 1 to 2 ms each time.)
#[tokio::test(start_paused = true)]
async fn a_waiter_woken_by_a_release_looks_at_once() {
    let backend = Hooked::default();
    let locks = LockManager::new(backend.clone());
    let held = locks.try_lock("handoff", Duration::from_secs(30)).await.expect("ok").expect("free");
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move { locks.lock("handoff").acquire().await })
    };
    // The waiter's attempt and its look after subscribing, both refused, at this instant.
    while backend.hooks.calls("acquire") < 3 {
        tokio::task::yield_now().await;
    }
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let released = Instant::now();
    held.release().await.expect("release");
    let guard = waiter.await.expect("join").expect("acquired");
    assert_eq!(released.elapsed(), Duration::ZERO, "a release handed over after a delay");
    assert_eq!(backend.hooks.calls("acquire"), 4, "one look after the wake-up");
    drop(guard);
}

/// L4: a waiter queued behind this manager's other waiters for the key gives up at its own
/// deadline, however long the waiter ahead of it is willing to wait.
#[tokio::test(start_paused = true)]
async fn a_waiter_behind_a_patient_one_gives_up_at_its_own_deadline() {
    let locks = LockManager::new(lock_core::MemoryBackend::new());
    let _held = locks.try_lock("queued", Duration::from_secs(30)).await.expect("ok");
    let patient = {
        let locks = locks.clone();
        tokio::spawn(
            async move { locks.lock("queued").wait(Duration::from_secs(20)).acquire().await },
        )
    };
    tokio::time::sleep(10 * MS).await;
    let started = Instant::now();
    let err = locks.lock("queued").wait(200 * MS).acquire().await.expect_err("held");
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err}");
    assert!(started.elapsed() <= 210 * MS, "gave up after {:?}", started.elapsed());
    patient.abort();
}
