//! A release that is cancelled (a `timeout` or `select!` around it) still releases, in the
//! background, as a dropped guard does; so does the final release of `run` and `with_lock`.

mod common;

use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{Error, LockBackend, LockManager};

const MS: Duration = Duration::from_millis(1);

/// Releases wait 50 ms for a connection before they are sent: a caller that gives up after
/// 10 ms cancels them before they leave.
fn slow_releases() -> Hooked {
    let backend = Hooked::default();
    let slow = Step::send_after(50 * MS);
    backend.hooks.release.lock().expect("steps").extend([slow, slow]);
    backend
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_release_still_releases() {
    let backend = slow_releases();
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("cancelled", Duration::from_secs(60)).await.expect("ok");
    let release = guard.expect("free").release();
    assert!(tokio::time::timeout(10 * MS, release).await.is_err(), "the release is slow");
    tokio::time::sleep(200 * MS).await;
    assert!(
        backend.inner.inspect(&locks.key("cancelled").expect("key")).await.expect("ok").is_none(),
        "the lock is still held long after its release was cancelled"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_cancelled_during_its_release_still_releases() {
    let backend = slow_releases();
    let locks = LockManager::new(backend.clone());
    let run = locks.with_lock("run", Duration::from_secs(60), |_| async { Ok::<_, Error>(()) });
    assert!(tokio::time::timeout(10 * MS, run).await.is_err(), "the final release is slow");
    assert_eq!(backend.hooks.calls("release"), 1, "cancelled during the final release");
    tokio::time::sleep(200 * MS).await;
    assert!(!locks.is_locked("run").await.expect("ok"), "run's lock outlived its cancellation");
}

#[tokio::test(start_paused = true)]
async fn an_answered_release_is_not_sent_again() {
    let backend = Hooked::default();
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("once", Duration::from_secs(60)).await.expect("ok");
    guard.expect("free").release().await.expect("release");
    tokio::time::sleep(100 * MS).await;
    assert_eq!(backend.hooks.calls("release"), 1);
}

/// A release the store refuses for good (not a temporary error) is reported at once, not
/// retried.
#[tokio::test(start_paused = true)]
async fn a_permanent_release_error_is_not_retried() {
    let backend = Hooked::default();
    backend
        .hooks
        .release
        .lock()
        .expect("steps")
        .push(Step::fails(lock_core::BackendErrorKind::Auth));
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("refused", Duration::from_secs(60)).await.expect("ok");
    let err = guard.expect("free").release().await.expect_err("refused");
    assert!(!err.is_temporary(), "{err}");
    assert_eq!(backend.hooks.calls("release"), 1, "a permanent error was retried");
}

/// A release that meets a temporary error (a dropped connection) is sent again, twice at most,
/// before the error is reported: a blip does not leave the lock held until its ttl.
#[tokio::test(start_paused = true)]
async fn a_temporary_release_error_is_retried_twice() {
    let blip = Step::fails(lock_core::BackendErrorKind::Connection);
    let backend = Hooked::default();
    backend.hooks.release.lock().expect("steps").extend([blip, blip]);
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("blip", Duration::from_secs(60)).await.expect("ok");
    let outcome = guard.expect("free").release().await;
    assert_eq!(backend.hooks.calls("release"), 3, "{outcome:?}");
    assert!(!outcome.is_err_and(|e| e.is_temporary()), "the third call's answer is reported");

    let backend = Hooked::default();
    backend.hooks.release.lock().expect("steps").extend([blip; 3]);
    let locks = LockManager::new(backend.clone());
    let guard = locks.try_lock("outage", Duration::from_secs(60)).await.expect("ok");
    let err = guard.expect("free").release().await.expect_err("three failures");
    assert!(err.is_temporary(), "{err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(backend.hooks.calls("release"), 3, "retried more than twice");
}
