//! The manager never sends a token's release ahead of an acquire of that token still in
//! flight, so a backend on a transport that reorders commands (a pool) cannot be left with a
//! lock nobody releases.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hooked::{Hooked, Step};
use lock_core::{LockManager, RetryPolicy};

const MS: Duration = Duration::from_millis(1);

/// An acquire cancelled while its command is on the wire: the background release waits for it.
#[tokio::test(start_paused = true)]
async fn a_cancelled_acquire_is_released_after_it_lands() {
    let backend = Hooked::default();
    backend.hooks.reorders.store(true, Ordering::SeqCst);
    backend.hooks.acquire.lock().expect("steps").push(Step::apply_after(50 * MS));
    let locks = LockManager::new(backend.clone());
    let acquire = locks.try_lock("cancelled", Duration::from_secs(60));
    assert!(tokio::time::timeout(10 * MS, acquire).await.is_err(), "cancelled in flight");
    tokio::time::sleep(200 * MS).await;
    assert!(!locks.is_locked("cancelled").await.expect("ok"), "a ghost lock outlived the acquire");
}

/// An attempt cut off by the call timeout and then given up on: released after it lands (within
/// a further call timeout).
#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_is_released_after_it_lands() {
    let backend = Hooked::default();
    backend.hooks.reorders.store(true, Ordering::SeqCst);
    backend.hooks.acquire.lock().expect("steps").push(Step::apply_after(180 * MS));
    let locks = LockManager::builder(backend.clone())
        .call_timeout(100 * MS)
        .retry(RetryPolicy::none())
        .build()
        .expect("settings");
    let err = locks.try_lock("timed-out", Duration::from_secs(60)).await;
    assert!(err.is_err(), "{err:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!locks.is_locked("timed-out").await.expect("ok"), "a ghost lock outlived the acquire");
}
