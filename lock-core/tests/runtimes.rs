//! Auto-refresh with several tokio runtimes: each runtime's guards are refreshed by a task on
//! that runtime, so a runtime that is idle or shut down stalls only its own guards, and those
//! are reported lost at their deadline rather than held silently.

use std::time::Duration;

use lock_core::{LockManager, LossReason, MemoryBackend};

const TTL: Duration = Duration::from_millis(300);

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The first auto-refreshed guard is taken on a runtime that is then left idle (a current-thread
/// runtime outside `block_on` runs nothing). A guard taken on another runtime is still refreshed.
#[test]
fn an_idle_runtime_does_not_stall_another_runtimes_guards() {
    let locks = LockManager::new(MemoryBackend::new());
    let idle = current_thread();
    let first = idle.block_on(locks.lock("idle").ttl(TTL).auto_refresh().acquire()).expect("ok");
    let busy = multi_thread();
    busy.block_on(async {
        let guard = locks.lock("busy").ttl(TTL).auto_refresh().acquire().await.expect("ok");
        tokio::time::sleep(TTL * 5).await;
        assert!(guard.is_valid(), "a guard of a running runtime was lost: {:?}", guard.loss());
        guard.release().await.expect("release");
    });
    // The idle runtime's guard was not refreshed: it says so.
    assert_eq!(first.loss(), Some(LossReason::Expired));
    assert!(!first.is_valid());
}

/// A runtime that shut down takes its refresher with it: its guards are reported lost at their
/// deadline (observed from another runtime), and guards taken afterwards on another runtime are
/// refreshed by a task of their own.
#[test]
fn a_shut_down_runtime_loses_only_its_own_guards() {
    let locks = LockManager::new(MemoryBackend::new());
    let gone = current_thread();
    let orphan = gone.block_on(locks.lock("orphan").ttl(TTL).auto_refresh().acquire()).expect("ok");
    drop(gone);
    let next = multi_thread();
    next.block_on(async {
        let reason = tokio::time::timeout(TTL * 3, orphan.lost()).await;
        assert_eq!(
            reason.ok(),
            Some(LossReason::Expired),
            "the orphaned guard's loss is signalled"
        );
        let guard = locks.lock("next").ttl(TTL).auto_refresh().acquire().await.expect("ok");
        tokio::time::sleep(TTL * 5).await;
        assert!(guard.is_valid(), "lost: {:?}", guard.loss());
        guard.release().await.expect("release");
    });
}
