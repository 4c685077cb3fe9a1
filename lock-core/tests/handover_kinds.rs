//! A hand-over keeps what it hands over (issue 20, item 7): a leaked permit, reader-writer hold
//! or fair lock is adopted as what it is, and released as what it is; one that cannot cross a
//! process boundary says so.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hooked::Hooked;
use lock_core::{Error, LockManager, MemoryBackend, RwMode, backend::ReleaseOutcome};

const SHORT: Duration = Duration::from_secs(1);
const LONG: Duration = Duration::from_secs(30);

/// Before, the adopted permit was a plain lock beside the semaphore: once the leaked permit
/// ran out, the limit let one more in (two holders of a one-permit semaphore).
#[tokio::test(start_paused = true)]
async fn an_adopted_permit_is_still_a_permit() {
    let locks = LockManager::new(MemoryBackend::new());
    let semaphore = locks.semaphore("exports", 1).expect("semaphore");
    let permit = semaphore.permit().ttl(SHORT).acquire().await.expect("free");
    let fence = permit.fencing_token();
    let adopted = locks.adopt(permit.leak()).ttl(LONG).try_acquire().await.expect("ok");
    let adopted = adopted.expect("still ours");
    assert_eq!(adopted.fencing_token(), fence, "same permit, same fence");
    tokio::time::advance(SHORT * 2).await;
    let another = semaphore.permit().ttl(LONG).try_acquire().await.expect("ok");
    assert!(another.is_none(), "a second permit of a one-permit semaphore");
    assert_eq!(semaphore.holders().await.expect("ok").len(), 1);
    assert_eq!(adopted.release().await.expect("release"), ReleaseOutcome::Released);
    assert!(semaphore.holders().await.expect("ok").is_empty(), "released as a permit");
}

/// Before, an adopted write was a plain lock: once the leaked write ran out, another writer got
/// in beside the adopted guard.
#[tokio::test(start_paused = true)]
async fn an_adopted_write_is_still_a_write() {
    let locks = LockManager::new(MemoryBackend::new());
    let lock = locks.rw_lock("config").expect("rw");
    let write = lock.write().ttl(SHORT).acquire().await.expect("free");
    let adopted = locks.adopt(write.leak()).ttl(LONG).try_acquire().await.expect("ok");
    let adopted = adopted.expect("still ours");
    tokio::time::advance(SHORT * 2).await;
    assert!(lock.write().ttl(LONG).try_acquire().await.expect("ok").is_none(), "two writers");
    let (holders, _) = lock.holders().await.expect("ok");
    assert_eq!(holders.iter().map(|(m, _)| *m).collect::<Vec<_>>(), [RwMode::Write]);
    adopted.release().await.expect("release");
    assert!(lock.holders().await.expect("ok").0.is_empty());
}

/// A leaked fair lock, adopted and released, hands over to the next in line (before: released
/// as a plain lock, nobody was handed the lock, and the waiter, watching for its turn, found
/// it only at its next look, up to a second later).
#[tokio::test(start_paused = true)]
async fn an_adopted_fair_lock_hands_over_on_release() {
    let backend = Hooked::default();
    backend.hooks.fair.store(true, Ordering::SeqCst);
    let locks = LockManager::new(backend);
    let first = locks.lock("queue").ttl(LONG).fair().acquire().await.expect("free");
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move {
            locks.lock("queue").ttl(LONG).fair().wait(Duration::from_secs(10)).acquire().await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let adopted = locks.adopt(first.leak()).ttl(LONG).try_acquire().await.expect("ok");
    let adopted = adopted.expect("still ours");
    adopted.release().await.expect("release");
    let next = tokio::time::timeout(Duration::from_millis(300), waiter).await;
    let next = next.expect("served at once").expect("joined").expect("handed over");
    assert!(next.is_valid());
}

/// Releasing a leaked permit's handover releases the permit.
#[tokio::test(start_paused = true)]
async fn a_permits_handover_is_released_as_a_permit() {
    let locks = LockManager::new(MemoryBackend::new());
    let semaphore = locks.semaphore("slots", 1).expect("semaphore");
    let permit = semaphore.permit().ttl(LONG).acquire().await.expect("free");
    let released = locks.release_handover(permit.leak()).await.expect("release");
    assert_eq!(released, ReleaseOutcome::Released);
    assert!(semaphore.holders().await.expect("ok").is_empty());
}

/// A handover of anything but a plain lock cannot go to another process: its parts do not say
/// what it is.
#[tokio::test(start_paused = true)]
async fn only_a_plain_locks_handover_splits_into_parts() {
    let locks = LockManager::new(MemoryBackend::new());
    let semaphore = locks.semaphore("parts", 2).expect("semaphore");
    let permit = semaphore.permit().ttl(LONG).acquire().await.expect("free");
    let parts = permit.leak().into_parts();
    assert!(matches!(parts, Err(Error::InvalidArgument { what: "handover", .. })), "{parts:?}");
    let lock = locks.lock("plain").ttl(LONG).acquire().await.expect("free");
    let (key, _) = lock.leak().into_parts().expect("a plain lock's parts");
    assert_eq!(key.as_bytes(), b"lock:plain");
}
