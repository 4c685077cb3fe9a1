//! Every future the public API returns can be spawned on a multi-threaded runtime.
//!
//! These are compile-time checks: a `!Send` value held across an `.await` anywhere in the
//! acquire, release or extend paths makes this file fail to build.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{LockManager, MemoryBackend, Quorum};

fn spawnable<T: Send + 'static>(_: T) {}

#[test]
fn public_futures_are_send() {
    let locks = LockManager::new(MemoryBackend::new());
    spawnable(locks.lock("a").acquire());
    spawnable(locks.lock("a").try_acquire());
    spawnable(locks.lock("a").auto_refresh().run(|_| async { Ok::<_, lock_core::Error>(()) }));
    let manager = locks.clone();
    spawnable(async move { manager.try_lock("a", Duration::from_secs(1)).await });
    let manager = locks.clone();
    spawnable(async move {
        manager
            .with_lock("a", Duration::from_secs(1), |_| async { Ok::<_, lock_core::Error>(1) })
            .await
    });
    let manager = locks.clone();
    spawnable(async move { manager.is_locked("a").await });
    let manager = locks.clone();
    spawnable(async move { manager.info("a").await });
    let manager = locks.clone();
    spawnable(async move {
        let guard = manager.lock("a").acquire().await?;
        guard.handle().extend(Duration::from_secs(1)).await?;
        guard.lost().await;
        guard.release().await
    });
    let quorum = Quorum::new(vec![
        Arc::new(MemoryBackend::new()) as Arc<lock_core::DynLockBackend>,
        Arc::new(MemoryBackend::new()),
        Arc::new(MemoryBackend::new()),
    ]);
    spawnable(quorum);
}
