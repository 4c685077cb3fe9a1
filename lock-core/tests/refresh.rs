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
