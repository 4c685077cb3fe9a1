//! Semaphores and reader-writer locks through the manager's handles, and MemoryBackend's exact
//! behaviour for them: holds end exactly at their ttl on tokio's clock, for every view of them
//! (as its locks do), refusals say how long to wait, and a writer's mark goes only as RW3 says.

use std::time::Duration;

use lock_core::{
    AcquireOutcome, LockBackend, LockKey, LockManager, LockToken, MemoryBackend, RwLockBackend,
    RwMode, SemaphoreBackend,
};

fn key(name: &str) -> LockKey {
    LockKey::with_default_prefix(name).expect("valid")
}

fn token() -> LockToken {
    LockToken::generate().expect("entropy")
}

const TTL: Duration = Duration::from_millis(100);

#[tokio::test(start_paused = true)]
async fn a_permit_is_gone_exactly_at_its_ttl() {
    let backend = MemoryBackend::new();
    let permits: &dyn SemaphoreBackend = backend.semaphores().expect("semaphores");
    let k = key("sem");
    permits.try_acquire_permit(&k, &token(), 1, TTL).await.expect("ok");
    tokio::time::advance(TTL - Duration::from_millis(1)).await;
    assert_eq!(permits.inspect_permits(&k).await.expect("ok").len(), 1);
    let refused = permits.try_acquire_permit(&k, &token(), 1, TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_millis(1)) });
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(permits.inspect_permits(&k).await.expect("ok").is_empty());
    let again = permits.try_acquire_permit(&k, &token(), 1, TTL).await.expect("ok");
    assert!(matches!(again, AcquireOutcome::Acquired { .. }), "{again:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hold_and_a_writer_mark_are_gone_exactly_at_their_ttl() {
    let backend = MemoryBackend::new();
    let rw: &dyn RwLockBackend = backend.rw_locks().expect("rw locks");
    let k = key("rw");
    let (reader, writer) = (token(), token());
    rw.try_acquire_rw(&k, &reader, RwMode::Read, TTL).await.expect("ok");
    // The writer's mark lasts the ttl it asked for: 100 ms, as the read.
    let marked = rw.try_acquire_rw(&k, &writer, RwMode::Write, TTL).await.expect("ok");
    assert_eq!(marked, AcquireOutcome::Held { ttl_remaining: Some(TTL) });
    tokio::time::advance(TTL - Duration::from_millis(1)).await;
    let (holders, waiting) = rw.inspect_rw(&k).await.expect("ok");
    assert_eq!((holders.len(), waiting), (1, true));
    let refused = rw.try_acquire_rw(&k, &token(), RwMode::Read, TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_millis(1)) });
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(rw.inspect_rw(&k).await.expect("ok"), (Vec::new(), false));
    // A writer needs both the read and the mark gone.
    let write = rw.try_acquire_rw(&k, &token(), RwMode::Write, TTL).await.expect("ok");
    assert!(
        matches!(write, AcquireOutcome::Acquired { .. }),
        "a hold or the mark outlived its ttl: {write:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_upgradeable_read_is_told_when_the_upgradeable_holder_runs_out() {
    let backend = MemoryBackend::new();
    let rw: &dyn RwLockBackend = backend.rw_locks().expect("rw locks");
    let k = key("upgradeable");
    rw.try_acquire_rw(&k, &token(), RwMode::UpgradeableRead, Duration::from_secs(30))
        .await
        .expect("ok");
    rw.try_acquire_rw(&k, &token(), RwMode::Read, Duration::from_secs(1)).await.expect("ok");
    let refused = rw.try_acquire_rw(&k, &token(), RwMode::UpgradeableRead, TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_secs(30)) });
}

/// RW3: a writer's mark goes when that writer is granted, releases, or the mark expires; the
/// same token being granted a read (asked for directly through the backend) leaves it.
#[tokio::test(start_paused = true)]
async fn a_read_by_the_marking_token_leaves_its_mark() {
    let backend = MemoryBackend::new();
    let rw: &dyn RwLockBackend = backend.rw_locks().expect("rw locks");
    let k = key("mark");
    let writer = token();
    rw.try_acquire_rw(&k, &token(), RwMode::Read, Duration::from_secs(30)).await.expect("ok");
    rw.try_acquire_rw(&k, &writer, RwMode::Write, Duration::from_secs(30)).await.expect("marks");
    let read = rw.try_acquire_rw(&k, &writer, RwMode::Read, Duration::from_secs(30)).await;
    assert!(matches!(read, Ok(AcquireOutcome::Acquired { .. })), "{read:?}");
    assert!(rw.inspect_rw(&k).await.expect("ok").1, "the mark went with a read");
}

/// The handles' own calls: a semaphore's limit, a single try, and who holds what.
#[tokio::test(start_paused = true)]
async fn the_handles_report_their_holders() {
    let locks = LockManager::new(MemoryBackend::new());
    let pool = locks.semaphore("pool", 2).expect("a semaphore");
    assert_eq!(pool.limit(), 2);
    let a = pool.try_acquire(TTL).await.expect("ok").expect("a permit");
    let b = pool.try_acquire(TTL).await.expect("ok").expect("a permit");
    assert!(pool.try_acquire(TTL).await.expect("ok").is_none(), "two of two are held");
    let mut held: Vec<_> = pool.holders().await.expect("ok").iter().map(|s| s.holder).collect();
    held.sort_by_key(|h| h.to_string());
    let mut want = vec![a.holder(), b.holder()];
    want.sort_by_key(|h| h.to_string());
    assert_eq!(held, want);

    let config = locks.rw_lock("config").expect("an rw lock");
    let read = config.read().ttl(TTL).try_acquire().await.expect("ok").expect("free");
    let writer = config.write().ttl(TTL).try_acquire().await.expect("ok");
    assert!(writer.is_none(), "a reader holds it");
    let rw = lock_core::LockBackend::rw_locks(locks.backend().as_ref()).expect("rw locks");
    let marker = LockToken::generate().expect("token");
    rw.try_acquire_rw(config.key(), &marker, RwMode::Write, TTL).await.expect("marks");
    let (holders, waiting) = config.holders().await.expect("ok");
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].0, RwMode::Read);
    assert_eq!(holders[0].1.holder, read.holder());
    assert!(waiting, "the writer's mark is shown");
}

/// One keyspace: a name held as a lock refuses a permit with a `WrongType` error naming both
/// kinds, and the lock stays.
#[tokio::test(start_paused = true)]
async fn a_name_held_as_a_lock_refuses_a_permit_and_says_why() {
    let backend = MemoryBackend::new();
    let k = key("one-keyspace");
    let holder = token();
    backend.try_acquire(&k, &holder, TTL).await.expect("free");
    let permits = backend.semaphores().expect("semaphores");
    let refused = permits.try_acquire_permit(&k, &token(), 2, TTL).await;
    let e = refused.expect_err("another kind");
    assert_eq!(e.kind(), lock_core::BackendErrorKind::WrongType, "{e}");
    assert!(e.message().contains("holds a lock, not a semaphore"), "{e}");
    let rw = backend.rw_locks().expect("rw locks");
    let e = rw.try_acquire_rw(&k, &token(), RwMode::Read, TTL).await.expect_err("another kind");
    assert!(e.message().contains("holds a lock, not a reader-writer lock"), "{e}");
    assert_eq!(backend.inspect(&k).await.expect("ok").map(|i| i.holder), Some(holder));
}
