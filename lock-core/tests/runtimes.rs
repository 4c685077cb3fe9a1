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

/// A second runtime starting its refresher task leaves the first runtime's task reachable: a
/// manual extension of a guard of the first runtime, made afterwards, still moves that guard's
/// next refresh (the refresher does not extend again at the old time).
#[test]
fn a_new_runtimes_refresher_leaves_the_others_reachable() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts extensions of the lock `a`, over an in-process store.
    #[derive(Debug, Default)]
    struct CountExtends(MemoryBackend, Arc<AtomicUsize>);
    lock_core::forward_lock_backend!(impl for CountExtends => |this| &this.0, except {
        async fn extend(
            &self,
            k: &lock_core::LockKey,
            t: &lock_core::LockToken,
            ttl: Duration,
        ) -> Result<lock_core::backend::ExtendOutcome, lock_core::BackendError> {
            if k.name() == b"a" {
                self.1.fetch_add(1, Ordering::SeqCst);
            }
            self.0.extend(k, t, ttl).await
        }

    });

    let extends = Arc::new(AtomicUsize::new(0));
    let locks = LockManager::new(CountExtends(MemoryBackend::new(), extends.clone()));
    let (a, b) = (multi_thread(), multi_thread());
    // ttl 3 s: refreshed about every 0.99 s.
    let ttl = Duration::from_secs(3);
    let started = std::time::Instant::now();
    let first = a.block_on(locks.lock("a").ttl(ttl).auto_refresh().acquire()).expect("ok");
    let second = b.block_on(locks.lock("b").ttl(ttl).auto_refresh().acquire()).expect("ok");
    std::thread::sleep(Duration::from_millis(500).saturating_sub(started.elapsed()));
    a.block_on(first.extend(ttl)).expect("a manual extension");
    // The first guard's next refresh is now due about 1.49 s in (0.99 s before the extension).
    std::thread::sleep(Duration::from_millis(1_250).saturating_sub(started.elapsed()));
    let count = extends.load(Ordering::SeqCst);
    assert_eq!(count, 1, "the first guard was refreshed again right after its manual extension");
    a.block_on(first.release()).expect("release");
    b.block_on(second.release()).expect("release");
}
