//! Auto-refresh on tokio's paused clock: cadence, a single task for all guards, loss.

mod common;

use std::time::Duration;

use common::{Calls, Counting};
use lock_core::{LockBackend, LockManager, LossReason};

#[tokio::test(start_paused = true)]
async fn refresh_extends_at_a_third_of_the_ttl() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let guard = locks
        .lock("cadence")
        .ttl(Duration::from_secs(30))
        .auto_refresh()
        .acquire()
        .await
        .expect("acquire");
    tokio::time::sleep(Duration::from_secs(95)).await;
    // Extends at 10 s, 20 s, ..., 90 s.
    assert_eq!(Calls::get(&calls.extend), 9);
    assert!(guard.is_valid());
    assert!(guard.remaining() > Duration::from_secs(20));
    guard.release().await.expect("release");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(Calls::get(&calls.extend), 9, "refresh continued after release");
}

#[tokio::test(start_paused = true)]
async fn refresh_fraction_is_configurable() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::builder(backend).refresh_at(0.5).build().expect("settings");
    let _guard = locks
        .lock("half")
        .ttl(Duration::from_secs(10))
        .auto_refresh()
        .acquire()
        .await
        .expect("acquire");
    tokio::time::sleep(Duration::from_secs(21)).await;
    assert_eq!(Calls::get(&calls.extend), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresher_task_serves_every_guard() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let locks = LockManager::new(Counting::default());
    let baseline = metrics.num_alive_tasks();
    let mut guards = Vec::new();
    for i in 0..200 {
        let guard = locks
            .lock(format!("many-{i}"))
            .ttl(Duration::from_millis(300))
            .auto_refresh()
            .acquire()
            .await;
        guards.push(guard.expect("acquire"));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(guards.iter().all(|g| g.is_valid()), "a refreshed guard was lost");
    let alive = metrics.num_alive_tasks();
    assert!(
        alive <= baseline + 1,
        "{alive} tasks alive for 200 refreshed guards (baseline {baseline})"
    );
    for guard in guards {
        guard.release().await.expect("release");
    }
}

#[tokio::test(start_paused = true)]
async fn max_hold_stops_refresh_and_reports_why() {
    let locks = LockManager::new(Counting::default());
    let guard = locks
        .lock("capped")
        .ttl(Duration::from_secs(3))
        .auto_refresh()
        .max_hold(Duration::from_secs(10))
        .acquire()
        .await
        .expect("acquire");
    let started = tokio::time::Instant::now();
    let reason = guard.lost().await;
    assert_eq!(reason, LossReason::MaxHoldReached);
    let at = started.elapsed();
    assert!(at >= Duration::from_secs(10) && at <= Duration::from_secs(13), "lost after {at:?}");
    assert!(!guard.is_valid());
}

#[tokio::test(start_paused = true)]
async fn deleting_the_key_is_noticed_at_the_next_refresh() {
    let backend = Counting::default();
    let store = backend.inner.clone();
    let locks = LockManager::new(backend);
    let guard = locks
        .lock("deleted")
        .ttl(Duration::from_secs(30))
        .auto_refresh()
        .acquire()
        .await
        .expect("acquire");
    let stored = store.inspect(guard.key()).await.expect("inspect").expect("held");
    store.release(guard.key(), &stored.holder).await.expect("delete");
    let started = tokio::time::Instant::now();
    assert_eq!(guard.lost().await, LossReason::NotHeld);
    assert!(started.elapsed() <= Duration::from_secs(10), "noticed after {:?}", started.elapsed());
}

#[test]
fn dropping_a_guard_outside_a_runtime_does_not_panic() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let guard = runtime.block_on(async {
        let locks = LockManager::new(backend);
        locks.try_lock("outside", Duration::from_secs(5)).await.expect("ok").expect("free")
    });
    drop(runtime);
    drop(guard);
    assert_eq!(Calls::get(&calls.release), 0);
}

/// Guards outlive their manager: dropping the `LockManager` does not stop refreshing the
/// auto-refreshed guards it handed out.
#[tokio::test(start_paused = true)]
async fn guards_are_refreshed_after_their_manager_is_dropped() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let ttl = Duration::from_millis(300);
    let guard = locks.lock("orphan").ttl(ttl).auto_refresh().acquire().await.expect("acquire");
    drop(locks);
    tokio::time::sleep(ttl * 5).await;
    assert!(guard.is_valid(), "the refresher stopped with the manager");
    assert!(Calls::get(&calls.extend) >= 10, "{} extensions", Calls::get(&calls.extend));
}

/// A manual extension moves the next refresh a whole interval after it: the refresher does not
/// extend again right away.
#[tokio::test(start_paused = true)]
async fn a_manual_extension_moves_the_next_refresh() {
    let backend = Counting::default();
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let ttl = Duration::from_secs(30);
    let guard = locks.lock("manual").ttl(ttl).auto_refresh().acquire().await.expect("acquire");
    tokio::time::sleep(Duration::from_secs(5)).await;
    guard.extend(ttl).await.expect("extend");
    assert_eq!(Calls::get(&calls.extend), 1);
    // The next refresh is due about 10 s after the manual one, not at once.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(Calls::get(&calls.extend), 1, "the refresher extended right after the manual one");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(Calls::get(&calls.extend), 2);
}

/// A refresh refused for good (a permanent error such as a revoked ACL) loses the lock at once
/// with that error's kind, rather than retrying until the deadline.
#[tokio::test(start_paused = true)]
async fn a_permanent_refresh_error_loses_the_lock_at_once() {
    use common::hooked::{Hooked, Step};
    let backend = Hooked::default();
    backend
        .hooks
        .extend
        .lock()
        .expect("steps")
        .push(Step::fails(lock_core::BackendErrorKind::Auth));
    let locks = LockManager::new(backend.clone());
    let ttl = Duration::from_secs(3);
    let guard = locks.lock("revoked").ttl(ttl).auto_refresh().acquire().await.expect("acquire");
    let started = tokio::time::Instant::now();
    let lost = tokio::time::timeout(Duration::from_secs(10), guard.lost()).await;
    let reason = lost.expect("the refused refresh did not lose the lock");
    assert_eq!(reason, LossReason::Backend(lock_core::BackendErrorKind::Auth));
    // The first refresh is due at a third of the validity window; the loss comes with it.
    assert!(started.elapsed() < Duration::from_millis(1_100), "lost after {:?}", started.elapsed());
    assert_eq!(backend.hooks.calls("extend"), 1, "a permanent error was retried");
}

/// Temporary refresh errors are retried a quarter of the interval apart (5 ms to 1 s): neither
/// at once, which would hammer a failing store, nor so late that the deadline passes first.
#[tokio::test(start_paused = true)]
async fn temporary_refresh_errors_are_retried_a_quarter_interval_apart() {
    use common::hooked::{Hooked, Step};
    let backend = Hooked::default();
    let blip = Step::fails(lock_core::BackendErrorKind::Connection);
    backend.hooks.extend.lock().expect("steps").extend([blip; 100]);
    let locks = LockManager::new(backend.clone());
    let ttl = Duration::from_millis(600);
    let guard = locks.lock("flaky").ttl(ttl).auto_refresh().acquire().await.expect("acquire");
    let lost = tokio::time::timeout(Duration::from_secs(10), guard.lost()).await;
    let reason = lost.expect("retried until a refresh got through: too often");
    assert_eq!(reason, LossReason::Expired);
    // Validity about 592 ms, interval about 197 ms, retries about 49 ms apart: the first try at
    // about 197 ms, then retries until the deadline, about 8 calls in all.
    let calls = backend.hooks.calls("extend");
    assert!((5..=12).contains(&calls), "{calls} extend calls");
}

/// The shortest ttl auto-refresh accepts gives an interval of exactly `MIN_REFRESH_INTERVAL`
/// (2 ms); a shorter one is refused before any I/O.
#[tokio::test(start_paused = true)]
async fn the_shortest_refreshable_ttl_is_accepted() {
    let locks = LockManager::builder(Counting::default())
        .drift_factor(0.0)
        .drift_allowance(Duration::from_millis(1))
        .refresh_at(0.5)
        .build()
        .expect("settings");
    // Validity 4 ms, refreshed every 2 ms.
    let guard = locks.lock("short").ttl(Duration::from_millis(5)).auto_refresh().try_acquire();
    assert!(guard.await.expect("2 ms is enough").is_some());
    let refused = locks.lock("shorter").ttl(Duration::from_millis(4)).auto_refresh().try_acquire();
    assert!(matches!(refused.await, Err(lock_core::Error::InvalidArgument { .. })));
}

/// A wrapper that reports its inner store's capabilities (batched extends, lock sets, every
/// lease kind) but forwards only the plain primitives answers `Unsupported` for the rest: the
/// refresher then extends each lock on its own instead of losing the guards, and `lock_all`
/// takes a set member by member (the default `can_acquire_together` accepts no set).
#[tokio::test(start_paused = true)]
async fn a_wrapper_that_forwards_only_the_primitives_still_refreshes_and_takes_sets() {
    let backend = Counting::default();
    assert!(backend.info().capabilities.batch_extend && backend.info().capabilities.lock_sets);
    let calls = backend.calls.clone();
    let locks = LockManager::new(backend);
    let ttl = Duration::from_secs(3);
    let guards: Vec<_> = futures_util::future::join_all(
        (0..3).map(|i| locks.lock(format!("wrapped-{i}")).ttl(ttl).auto_refresh().acquire()),
    )
    .await;
    let guards: Vec<_> = guards.into_iter().map(|g| g.expect("free")).collect();
    tokio::time::sleep(ttl * 2).await;
    assert!(guards.iter().all(|g| g.is_valid()), "a refreshed guard was lost");
    assert!(Calls::get(&calls.extend) >= 3, "each lock extended on its own");
    let set = locks.lock_all(["set-a", "set-b"]).ttl(ttl).try_acquire().await;
    let set = set.expect("no error").expect("a free set");
    set.release().await.expect("release");
    for guard in guards {
        guard.release().await.expect("release");
    }
}

/// When a batch answers `Unsupported`, its locks are extended on their own all at once, not one
/// after another: 10 locks whose extends take 100 ms each are all extended within their
/// validity (one after another, the last would be sent a second late and be lost).
#[tokio::test(start_paused = true)]
async fn unbatched_extends_of_a_batch_go_out_together() {
    // Reports batched extends (its inner store's `info()`) without forwarding them.
    let slow = Counting { extend_delay: Duration::from_millis(100), ..Counting::default() };
    let locks = LockManager::new(slow);
    let ttl = Duration::from_millis(600);
    let guards: Vec<_> = futures_util::future::join_all(
        (0..10).map(|i| locks.lock(format!("slow-{i}")).ttl(ttl).auto_refresh().acquire()),
    )
    .await;
    let guards: Vec<_> = guards.into_iter().map(|g| g.expect("free")).collect();
    tokio::time::sleep(ttl * 3).await;
    let lost = guards.iter().filter(|g| !g.is_valid()).count();
    assert_eq!(lost, 0, "{lost} of 10 slowly extended locks lost");
}
