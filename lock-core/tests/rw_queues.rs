//! A manager's reader-writer waiters queue by kind of request. With one local queue per key, a
//! reader at its head held up the manager's writers: a writer arriving behind it waited without
//! asking (so the reader got in ahead of it: this test), and a writer that had marked its wait
//! just before joining behind the reader waited for its own mark to expire (seen as a 30 s stall
//! in `lockctl bench`'s contended reader-writer run).

use std::time::Duration;

use lock_core::{
    LockBackend, LockKey, LockManager, LockToken, MemoryBackend, RetryPolicy, RwMode,
    backend::Lease, backend::LeaseKind,
};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_queued_reader_does_not_hold_up_the_writer_that_blocks_it() {
    let backend = MemoryBackend::new();
    let locks = LockManager::builder(backend.clone())
        .retry(RetryPolicy::fixed(Duration::from_secs(20)))
        .build()
        .expect("settings");
    let rw = &backend;
    let lock = locks.rw_lock("config").expect("an rw lock");
    let key = LockKey::with_default_prefix("config").expect("key");
    let ttl = Duration::from_secs(30);
    let start = Instant::now();
    // A reader holds it, and a writer of another process marks its wait for 100 ms.
    let first = lock.read().ttl(ttl).try_acquire().await.expect("ok").expect("free");
    let other = LockToken::generate().expect("token");
    rw.acquire_lease(&key, &other, Lease::Rw(RwMode::Write), Duration::from_millis(100))
        .await
        .expect("ok");
    // This manager's reader, refused by that mark, heads the manager's queue until the mark
    // has expired (silently: an expiry publishes nothing).
    let reader = {
        let lock = lock.clone();
        tokio::spawn(
            async move { lock.read().ttl(ttl).wait(Duration::from_secs(20)).acquire().await },
        )
    };
    // This manager's writer asks the moment the mark expires, before the reader looks again,
    // and marks its own wait (the first reader still holds the lock).
    let writer = {
        let lock = lock.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start + Duration::from_millis(100)).await;
            lock.write().ttl(ttl).wait(Duration::from_secs(5)).acquire().await
        })
    };
    tokio::time::sleep_until(start + Duration::from_millis(200)).await;
    assert!(!reader.is_finished(), "the reader got in past a waiting writer");
    let lock_core::backend::LeaseHolders { holders, writer_waiting: waiting } =
        rw.inspect_lease(&key, LeaseKind::Rw).await.expect("ok");
    assert!(waiting && holders.len() == 1, "setup: {holders:?}, waiting {waiting}");
    // The first reader leaves: the writer is served, then the reader.
    first.release().await.expect("release");
    let written = tokio::time::timeout(Duration::from_secs(2), writer).await;
    let write = written.expect("the writer was not served within 2 s").expect("task").expect("ok");
    write.release().await.expect("release");
    let read = reader.await.expect("task").expect("the reader is served after the writer");
    read.release().await.expect("release");
}
