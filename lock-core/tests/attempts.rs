//! How the acquire loop treats each answer: errors that end it, errors it retries with the same
//! token or with a fresh one, grants that come too late, and what it asks of the backend.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{BackendErrorKind, Error, LockManager, RetryPolicy};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

fn retrying() -> RetryPolicy {
    RetryPolicy::fixed(10 * MS).max_wait(Duration::from_secs(2))
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_ends_the_acquire_at_once() {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step::fails(BackendErrorKind::Auth));
    let locks = LockManager::new(backend.clone());
    let err = locks.lock("auth").retry(retrying()).acquire().await.expect_err("not authorised");
    match &err {
        Error::Backend(e) => assert_eq!(e.kind(), BackendErrorKind::Auth),
        other => panic!("expected the backend's error, got {other}"),
    }
    assert_eq!(backend.hooks.calls("acquire"), 1, "a permanent error was retried");
}

#[tokio::test(start_paused = true)]
async fn a_temporary_error_is_retried_with_the_same_token() {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step::fails(BackendErrorKind::Connection));
    let locks = LockManager::new(backend.clone());
    let guard = locks.lock("flaky").retry(retrying()).acquire().await.expect("retried");
    let tokens = backend.hooks.acquire_tokens();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "an ambiguous attempt is retried with its token (A3)");
    assert!(guard.is_valid());
}

#[tokio::test(start_paused = true)]
async fn a_replication_error_is_retried_with_a_fresh_token_and_the_old_one_released() {
    let backend = Hooked::default();
    backend.hooks.acquire.lock().expect("steps").push(Step::fails(BackendErrorKind::Replication));
    let locks = LockManager::new(backend.clone());
    let guard = locks.lock("unreplicated").retry(retrying()).acquire().await.expect("retried");
    let tokens = backend.hooks.acquire_tokens();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "a token the backend gave back was sent again");
    assert_eq!(backend.hooks.release_tokens(), vec![tokens[0].clone()]);
    assert!(guard.is_valid());
}

/// Each grant answered too late is given back (in the background) and the next attempt uses a
/// fresh token.
#[tokio::test(start_paused = true)]
async fn every_late_grant_is_given_back_and_never_reused() {
    let backend = Hooked::default();
    let late = Step::answer_after(120 * MS);
    backend.hooks.acquire.lock().expect("steps").extend([late, late]);
    let locks = LockManager::new(backend.clone());
    let guard = locks.lock("late").ttl(100 * MS).retry(retrying()).acquire().await.expect("ok");
    let tokens = backend.hooks.acquire_tokens();
    assert_eq!(tokens.len(), 3);
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);
    assert_eq!(backend.hooks.release_tokens(), tokens[..2].to_vec(), "late grants given back");
    assert_eq!(guard.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn without_release_notification_no_watch_is_asked_for() {
    let backend = Hooked::default();
    backend.hooks.no_notify.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("polled", Duration::from_secs(30)).await.expect("ok");
    let policy = RetryPolicy::fixed(10 * MS).max_attempts(3);
    assert!(locks.lock("polled").retry(policy).try_acquire().await.expect("ok").is_none());
    assert_eq!(
        backend.hooks.calls("watch"),
        0,
        "a backend without notification was asked to watch"
    );
}

/// A single try (no retry) takes or refuses at once, even while this manager's waiters queue
/// for the key: it does not join their queue.
#[tokio::test(start_paused = true)]
async fn a_single_try_does_not_queue_behind_waiters() {
    let backend = Hooked::default();
    let locks = LockManager::new(backend.clone());
    let held = locks.try_lock("queued", Duration::from_secs(30)).await.expect("ok").expect("free");
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(
            async move { locks.lock("queued").wait(Duration::from_secs(10)).acquire().await },
        )
    };
    tokio::time::sleep(50 * MS).await;
    let started = Instant::now();
    let single = locks.lock("queued").try_acquire().await.expect("ok");
    assert!(single.is_none(), "the lock is held");
    assert!(started.elapsed() < 5 * MS, "a single try waited {:?} in the queue", started.elapsed());
    drop(held);
    waiter.await.expect("join").expect("the waiter gets it");
}

#[tokio::test(start_paused = true)]
async fn waited_reports_the_time_spent_waiting() {
    let locks = LockManager::new(Hooked::default());
    let held = locks.try_lock("waited", Duration::from_secs(30)).await.expect("ok").expect("free");
    assert_eq!(held.waited(), Duration::ZERO);
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(
            async move { locks.lock("waited").wait(Duration::from_secs(10)).acquire().await },
        )
    };
    tokio::time::sleep(300 * MS).await;
    held.release().await.expect("release");
    let guard = waiter.await.expect("join").expect("acquired");
    assert!(guard.waited() >= 300 * MS && guard.waited() < 400 * MS, "waited {:?}", guard.waited());
}

/// A waiter whose first attempt waited for its turn behind this manager's earlier waiter counts
/// its validity from when that attempt was sent, not from when it asked: after 300 ms in the
/// local queue (the earlier waiter takes the lock and gives it back at once), a 1 s lock still
/// has most of its second left.
#[tokio::test(start_paused = true)]
async fn validity_counts_from_the_first_attempt_after_a_turn_in_the_local_queue() {
    let locks = LockManager::new(Hooked::default());
    let held = locks.try_lock("turns", Duration::from_secs(30)).await.expect("ok").expect("free");
    let wait = |locks: LockManager| {
        tokio::spawn(async move {
            let request = locks.lock("turns").ttl(Duration::from_secs(1));
            let guard = request.wait(Duration::from_secs(10)).acquire().await.expect("acquired");
            let left = guard.remaining();
            guard.release().await.expect("release");
            left
        })
    };
    let first = wait(locks.clone());
    tokio::time::sleep(10 * MS).await;
    // The second waiter queues behind the first in this manager: its first attempt waits for
    // the first's turn, and finds the lock free.
    let second = wait(locks.clone());
    tokio::time::sleep(290 * MS).await;
    held.release().await.expect("release");
    let (first, second) = (first.await.expect("join"), second.await.expect("join"));
    for (who, left) in [("first", first), ("second", second)] {
        assert!(left > 900 * MS, "the {who} waiter's 1 s lock had {left:?} left at once");
    }
}

/// An extension whose answer comes back after the guard's deadline does not revive the guard:
/// the lock may have been taken by someone else in between.
#[tokio::test(start_paused = true)]
async fn an_extension_answered_after_the_deadline_does_not_revive_the_guard() {
    let backend = Hooked::default();
    backend.hooks.extend.lock().expect("steps").push(Step::answer_after(300 * MS));
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("revive", 200 * MS).await.expect("ok").expect("free");
    let err = guard.extend(Duration::from_secs(30)).await.expect_err("answered too late");
    assert!(matches!(err, Error::NotHeld { .. }), "{err}");
    assert!(!guard.is_valid(), "a guard past its deadline was revived by a late extension");
}

/// An acquire that only ever found the lock held by someone else has nothing to give back: it
/// sends no release when it gives up.
#[tokio::test(start_paused = true)]
async fn an_acquire_refused_every_time_sends_no_release() {
    let backend = Hooked::default();
    let locks = LockManager::new(backend.clone());
    let _held = locks.try_lock("refused", Duration::from_secs(30)).await.expect("ok");
    let policy = RetryPolicy::fixed(10 * MS).max_attempts(3);
    assert!(locks.lock("refused").retry(policy).try_acquire().await.expect("ok").is_none());
    tokio::time::sleep(100 * MS).await;
    assert_eq!(backend.hooks.calls("release"), 0, "a release was sent for a token never granted");
}

/// Without release notification, a waiter that reaches the head of its manager's queue because
/// the waiter before it left (cancelled) looks at the key at once instead of sleeping its
/// backoff first: the key may have been freed meanwhile.
#[tokio::test(start_paused = true)]
async fn the_next_in_line_looks_as_soon_as_its_turn_comes() {
    let backend = Hooked::default();
    backend.hooks.no_notify.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend.clone());
    let held = locks.try_lock("line", Duration::from_secs(30)).await.expect("ok").expect("free");
    let policy = RetryPolicy::fixed(Duration::from_secs(1));
    let waiter = |locks: LockManager| {
        tokio::spawn(async move {
            let guard = locks.lock("line").retry(policy).wait(Duration::from_secs(30)).acquire();
            guard.await.map(|_guard| Instant::now())
        })
    };
    // Both look at the key (held) before either queues; the second then queues behind the first.
    let first = waiter(locks.clone());
    let second = waiter(locks.clone());
    tokio::time::sleep(10 * MS).await;
    held.release().await.expect("release");
    tokio::time::sleep(10 * MS).await;
    // The head leaves (cancelled) while polling with its 1 s backoff; the key is free.
    first.abort();
    let left = Instant::now();
    let got = second.await.expect("join").expect("acquired");
    assert!(
        got - left < 5 * MS,
        "the next in line got the free lock {:?} after its turn",
        got - left
    );
}

/// Locks are not reentrant: a task asking again for a lock it holds waits for itself, and with
/// the default policy gives up after `DEFAULT_MAX_WAIT` instead of hanging.
#[tokio::test(start_paused = true)]
async fn relocking_a_held_lock_gives_up_after_the_default_wait() {
    let locks = LockManager::new(Hooked::default());
    let guard = locks.lock("mine").ttl(Duration::from_secs(10)).auto_refresh().acquire().await;
    let guard = guard.expect("acquired");
    let started = Instant::now();
    let again = locks.lock("mine").acquire().await;
    assert!(matches!(again, Err(Error::WaitTimeout { .. })), "{again:?}");
    let waited = started.elapsed();
    assert!(waited >= lock_core::limits::DEFAULT_MAX_WAIT, "gave up after {waited:?}");
    assert!(waited < lock_core::limits::DEFAULT_MAX_WAIT + Duration::from_secs(1), "{waited:?}");
    assert!(guard.is_valid(), "the first guard is still held and refreshed");
}
