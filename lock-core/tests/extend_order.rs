//! One extension in flight per guard: a manual extension racing another (or the refresher's)
//! cannot leave the guard's deadline past the store's expiry, even when the store applies and
//! answers them in another order than they were sent.

mod common;

use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{LockBackend, LockManager};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn racing_extensions_never_overstate_the_deadline() {
    let backend = Hooked::default();
    // First extension (short): reaches the store after 10 ms and answers then.
    // Second (long): applied at once, but its answer takes 50 ms.
    backend
        .hooks
        .extend
        .lock()
        .expect("steps")
        .extend([Step::apply_after(10 * MS), Step::answer_after(50 * MS)]);
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("race", Duration::from_secs(5)).await.expect("ok").expect("free");
    let (short, long) = (guard.handle(), guard.handle());
    let first = tokio::spawn(async move { short.extend(Duration::from_secs(1)).await });
    tokio::task::yield_now().await;
    let second = tokio::spawn(async move { long.extend(Duration::from_secs(30)).await });
    first.await.expect("join").expect("extend");
    second.await.expect("join").expect("extend");
    let stored = backend.inner.inspect(guard.key()).await.expect("inspect").expect("held");
    let expires = Instant::now() + stored.ttl_remaining.expect("a ttl");
    assert!(
        guard.deadline() <= expires,
        "the guard counts on {:?} past the store's expiry",
        guard.deadline() - expires
    );
}

/// An extension to a shorter ttl than the guard has left, whose reply is lost, may have been
/// applied: the store then lets the lock go at the shorter ttl. The guard's deadline must not
/// stay at the longer one. Before, it did: another holder got the lock while the guard still
/// said valid (found by the simulator once upgrades gave guards ttls other than the one they
/// were extended with; seed 404 with `SIM_UPGRADES=1`).
#[tokio::test(start_paused = true)]
async fn an_unanswered_shortening_extension_shortens_the_deadline() {
    let backend = Hooked::default();
    // The extension is applied and never answered.
    backend.hooks.extend.lock().expect("steps").push(Step::unanswered(Duration::ZERO));
    let locks =
        LockManager::builder(backend.clone()).call_timeout(100 * MS).build().expect("valid");
    let guard =
        locks.try_lock("shortened", Duration::from_secs(10)).await.expect("ok").expect("free");
    let sent = Instant::now();
    let extended = guard.extend(200 * MS).await;
    assert!(extended.is_err(), "the reply was lost: {extended:?}");
    assert!(guard.deadline() <= sent + 200 * MS, "the guard kept its 10 s deadline");
    tokio::time::sleep(300 * MS).await;
    let other = LockManager::new(backend.clone());
    let taken = other.try_lock("shortened", Duration::from_secs(10)).await.expect("ok");
    assert!(taken.is_some(), "the store applied the shorter ttl");
    assert!(!guard.is_valid(), "the guard says valid while another holds the lock");
}

/// A 500 ms lock on `name` won by a retry: the first attempt lands 300 ms after it is sent
/// (the manager cuts it at its 100 ms call timeout), the retry is granted at once.
async fn won_after_a_cut_attempt(name: &str) -> (Hooked, lock_core::LockGuard) {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step { before: 300 * MS, ..Step::default() });
    let locks = LockManager::builder(backend.clone())
        .call_timeout(100 * MS)
        .retry(lock_core::RetryPolicy::fixed(10 * MS))
        .build()
        .expect("valid");
    let guard = locks
        .lock(name)
        .ttl(500 * MS)
        .wait(Duration::from_secs(5))
        .acquire()
        .await
        .expect("the retry wins");
    (backend, guard)
}

/// An attempt cut by the call timeout may still land after the retry that won, and renews the
/// lock with the acquire's ttl. An extension to a longer ttl made meanwhile must not move the
/// deadline past what that late landing leaves. Before, it did: the late attempt cut the
/// store's hold back to the acquire's ttl while the guard said valid for the extension's
/// (found by the simulator, seed 3654, as a late upgrade attempt after an extended write).
#[tokio::test(start_paused = true)]
async fn a_late_attempt_caps_an_extension_made_before_it_could_land() {
    let (backend, guard) = won_after_a_cut_attempt("late-attempt").await;
    guard.extend(Duration::from_secs(10)).await.expect("extended");
    // The late attempt landed at 300 ms and left the hold until 800 ms.
    tokio::time::sleep(800 * MS).await;
    let other = LockManager::new(backend.clone());
    let taken = other.try_lock("late-attempt", Duration::from_secs(10)).await.expect("ok");
    assert!(taken.is_some(), "the late attempt cut the hold back to 500 ms");
    assert!(!guard.is_valid(), "the guard says valid while another holds the lock");
}

/// Once the late attempts are presumed lost (a call timeout after the grant), extensions give
/// their full ttl again.
#[tokio::test(start_paused = true)]
async fn after_the_late_window_extensions_are_not_capped() {
    let (_backend, guard) = won_after_a_cut_attempt("late-window").await;
    // Past the window and past the late landing (300 ms).
    tokio::time::sleep(300 * MS).await;
    let sent = Instant::now();
    guard.extend(Duration::from_secs(10)).await.expect("extended");
    assert!(guard.deadline() > sent + Duration::from_secs(9), "the extension was capped");
}

/// A late window that has passed does not cap what a later one records: after the acquire's
/// window (500 ms ttl), an extension to 10 s cut by the call timeout caps the next ones at its
/// own 10 s, not at the acquire's 500 ms (a stale record merged in would shorten every
/// extension for nothing).
#[tokio::test(start_paused = true)]
async fn a_passed_late_window_does_not_cap_a_later_one() {
    let (backend, guard) = won_after_a_cut_attempt("late-twice").await;
    tokio::time::sleep(300 * MS).await;
    backend.hooks.extend.lock().expect("steps").push(Step::apply_after_silently(150 * MS));
    assert!(guard.extend(Duration::from_secs(10)).await.is_err(), "cut by the call timeout");
    let sent = Instant::now();
    guard.extend(Duration::from_secs(10)).await.expect("extended");
    assert!(guard.deadline() > sent + Duration::from_secs(9), "capped by the passed window");
}

/// An extension to a longer ttl that never reached the store (its caller gave up before it
/// was sent) leaves the deadline where it was: only a shorter one moves it as it is sent.
#[tokio::test(start_paused = true)]
async fn an_unsent_longer_extension_leaves_the_deadline() {
    let backend = Hooked::default();
    backend.hooks.extend.lock().expect("steps").push(Step::send_after(200 * MS));
    let locks =
        LockManager::builder(backend.clone()).call_timeout(100 * MS).build().expect("valid");
    let guard = locks.try_lock("unsent", 500 * MS).await.expect("ok").expect("free");
    let before = guard.deadline();
    assert!(guard.extend(Duration::from_secs(10)).await.is_err(), "cut before it was sent");
    assert_eq!(guard.deadline(), before, "an extension nobody applied moved the deadline");
}

/// An extension to a shorter ttl cut by the call timeout may still land, after a longer one
/// sent later was confirmed: the store then lets the lock go at the shorter ttl, counted from
/// its landing. Until the cut one is presumed lost (a call timeout after the cut), an extension
/// moves the deadline no further than the cut one would leave. Before, the longer one moved it
/// to its own 5 s and another holder got the lock while the guard said valid (found by the
/// simulator once its extensions took other ttls than the acquire's; seed 1867).
#[tokio::test(start_paused = true)]
async fn a_cut_shorter_extension_landing_late_cannot_outlive_the_deadline() {
    let backend = Hooked::default();
    // The short extension lands 150 ms after it is sent (cut at 100 ms), never answered; the
    // long one is applied and answered at once.
    backend.hooks.extend.lock().expect("steps").push(Step::apply_after_silently(150 * MS));
    let locks =
        LockManager::builder(backend.clone()).call_timeout(100 * MS).build().expect("valid");
    let guard =
        locks.try_lock("cut-short", Duration::from_secs(1)).await.expect("ok").expect("free");
    assert!(guard.extend(200 * MS).await.is_err(), "cut by the call timeout");
    guard.extend(Duration::from_secs(5)).await.expect("the long extension is confirmed");
    // The short one lands at 150 ms: the store's expiry is 350 ms.
    tokio::time::sleep(300 * MS).await;
    let other = LockManager::new(backend.clone());
    let taken = other.try_lock("cut-short", Duration::from_secs(10)).await.expect("ok");
    assert!(taken.is_some(), "the late short extension set the store's expiry");
    assert!(!guard.is_valid(), "the guard says valid while another holds the lock");
}

/// A leaked guard's extension still in flight lands after the handover was adopted with a
/// longer ttl: the store then lets the lock go at the extension's ttl. The adopted guard trusts
/// no more than that until the extension is presumed lost. Before, it trusted its own 5 s
/// (found by the simulator once its extensions took other ttls than the acquire's; seed 59).
#[tokio::test(start_paused = true)]
async fn an_adopted_hold_trusts_no_more_than_a_late_extension_of_the_leaked_guard_leaves() {
    let backend = Hooked::default();
    // The extension lands 50 ms after it is sent, and answers then.
    backend.hooks.extend.lock().expect("steps").push(Step::apply_after(50 * MS));
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("leaked", Duration::from_secs(1)).await.expect("ok").expect("free");
    let handle = guard.handle();
    let extending = tokio::spawn(async move { handle.extend(200 * MS).await });
    tokio::time::sleep(10 * MS).await;
    let handover = guard.leak();
    let adopted = locks.adopt(handover).ttl(Duration::from_secs(5)).try_acquire().await;
    let adopted = adopted.expect("ok").expect("still ours");
    let _ = extending.await.expect("join");
    // The extension landed at 50 ms: the store's expiry is 250 ms.
    tokio::time::sleep(300 * MS).await;
    let other = LockManager::new(backend.clone());
    let taken = other.try_lock("leaked", Duration::from_secs(10)).await.expect("ok");
    assert!(taken.is_some(), "the late extension set the store's expiry");
    assert!(!adopted.is_valid(), "the adopted guard says valid while another holds the lock");
}

/// Of the leaked guard's extensions that may still land, the shortest counts: a shorter one cut
/// earlier is not forgotten when a longer one goes out after it.
#[tokio::test(start_paused = true)]
async fn an_adopted_hold_counts_the_shortest_extension_that_may_land() {
    let backend = Hooked::default();
    // The short extension lands 150 ms after it is sent (cut at 100 ms); the long one answers.
    backend.hooks.extend.lock().expect("steps").push(Step::apply_after_silently(150 * MS));
    let locks =
        LockManager::builder(backend.clone()).call_timeout(100 * MS).build().expect("valid");
    let guard = locks.try_lock("leaked-twice", Duration::from_secs(1)).await.expect("ok");
    let guard = guard.expect("free");
    assert!(guard.extend(200 * MS).await.is_err(), "cut by the call timeout");
    guard.extend(Duration::from_secs(5)).await.expect("the long extension is confirmed");
    let adopted = locks.adopt(guard.leak()).ttl(Duration::from_secs(5)).try_acquire().await;
    let adopted = adopted.expect("ok").expect("still ours");
    // The short extension landed at 150 ms: the store's expiry is 350 ms.
    tokio::time::sleep(300 * MS).await;
    let other = LockManager::new(backend.clone());
    let taken = other.try_lock("leaked-twice", Duration::from_secs(10)).await.expect("ok");
    assert!(taken.is_some(), "the late short extension set the store's expiry");
    assert!(!adopted.is_valid(), "the adopted guard says valid while another holds the lock");
}

/// Extensions of the leaked guard that can no longer land do not cap the adopted guard: a short
/// one answered long ago leaves a later, longer one's ttl in force.
#[tokio::test(start_paused = true)]
async fn an_adopted_hold_ignores_extensions_that_can_no_longer_land() {
    let locks =
        LockManager::builder(Hooked::default()).call_timeout(100 * MS).build().expect("valid");
    let guard = locks.try_lock("settled", Duration::from_secs(1)).await.expect("ok");
    let guard = guard.expect("free");
    guard.extend(400 * MS).await.expect("extended");
    // Two call timeouts later the short extension can no longer land.
    tokio::time::sleep(250 * MS).await;
    guard.extend(Duration::from_secs(5)).await.expect("extended");
    let adopted = locks.adopt(guard.leak()).ttl(Duration::from_secs(5)).try_acquire().await;
    let adopted = adopted.expect("ok").expect("still ours");
    let left = adopted.deadline() - Instant::now();
    assert!(left > Duration::from_secs(4), "capped at the settled short extension: {left:?}");
}

/// A leaked guard's handles extend no more: the hold is the handover's.
#[tokio::test(start_paused = true)]
async fn a_leaked_guards_handles_extend_no_more() {
    let locks = LockManager::new(Hooked::default());
    let guard = locks.try_lock("gone", Duration::from_secs(1)).await.expect("ok").expect("free");
    let handle = guard.handle();
    let _handover = guard.leak();
    let extended = handle.extend(Duration::from_secs(5)).await;
    assert!(matches!(extended, Err(lock_core::Error::NotHeld { .. })), "{extended:?}");
}
