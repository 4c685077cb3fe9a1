//! Semaphores and reader-writer locks through the manager's handles, and MemoryBackend's exact
//! behaviour for them: holds end exactly at their ttl on tokio's clock, for every view of them
//! (as its locks do), refusals say how long to wait, and a writer's mark goes only as RW3 says.

use std::time::Duration;

use lock_core::{
    LockBackend, LockKey, LockManager, LockToken, MemoryBackend, RwMode, backend::AcquireOutcome,
    backend::Lease, backend::LeaseHolders, backend::LeaseKind,
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
    let permits = &backend;
    let k = key("sem");
    permits.acquire_lease(&k, &token(), Lease::Permit { limit: 1 }, TTL).await.expect("ok");
    tokio::time::advance(TTL - Duration::from_millis(1)).await;
    assert_eq!(permits.inspect_lease(&k, LeaseKind::Permit).await.expect("ok").holders.len(), 1);
    let refused =
        permits.acquire_lease(&k, &token(), Lease::Permit { limit: 1 }, TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_millis(1)) });
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(permits.inspect_lease(&k, LeaseKind::Permit).await.expect("ok").holders.is_empty());
    let again =
        permits.acquire_lease(&k, &token(), Lease::Permit { limit: 1 }, TTL).await.expect("ok");
    assert!(matches!(again, AcquireOutcome::Acquired { .. }), "{again:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hold_and_a_writer_mark_are_gone_exactly_at_their_ttl() {
    let backend = MemoryBackend::new();
    let rw = &backend;
    let k = key("rw");
    let (reader, writer) = (token(), token());
    rw.acquire_lease(&k, &reader, Lease::Rw(RwMode::Read), TTL).await.expect("ok");
    // The writer's mark lasts the ttl it asked for: 100 ms, as the read.
    let marked = rw.acquire_lease(&k, &writer, Lease::Rw(RwMode::Write), TTL).await.expect("ok");
    assert_eq!(marked, AcquireOutcome::Held { ttl_remaining: Some(TTL) });
    tokio::time::advance(TTL - Duration::from_millis(1)).await;
    let LeaseHolders { holders, writer_waiting: waiting } =
        rw.inspect_lease(&k, LeaseKind::Rw).await.expect("ok");
    assert_eq!((holders.len(), waiting), (1, true));
    let refused = rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::Read), TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_millis(1)) });
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(rw.inspect_lease(&k, LeaseKind::Rw).await.expect("ok"), LeaseHolders::default());
    // A writer needs both the read and the mark gone.
    let write = rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::Write), TTL).await.expect("ok");
    assert!(
        matches!(write, AcquireOutcome::Acquired { .. }),
        "a hold or the mark outlived its ttl: {write:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_upgradeable_read_is_told_when_the_upgradeable_holder_runs_out() {
    let backend = MemoryBackend::new();
    let rw = &backend;
    let k = key("upgradeable");
    rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::UpgradeableRead), Duration::from_secs(30))
        .await
        .expect("ok");
    rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::Read), Duration::from_secs(1))
        .await
        .expect("ok");
    let refused =
        rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::UpgradeableRead), TTL).await.expect("ok");
    assert_eq!(refused, AcquireOutcome::Held { ttl_remaining: Some(Duration::from_secs(30)) });
}

/// RW3: a writer's mark goes when that writer is granted, releases, or the mark expires; the
/// same token being granted a read (asked for directly through the backend) leaves it.
#[tokio::test(start_paused = true)]
async fn a_read_by_the_marking_token_leaves_its_mark() {
    let backend = MemoryBackend::new();
    let rw = &backend;
    let k = key("mark");
    let writer = token();
    rw.acquire_lease(&k, &token(), Lease::Rw(RwMode::Read), Duration::from_secs(30))
        .await
        .expect("ok");
    rw.acquire_lease(&k, &writer, Lease::Rw(RwMode::Write), Duration::from_secs(30))
        .await
        .expect("marks");
    let read =
        rw.acquire_lease(&k, &writer, Lease::Rw(RwMode::Read), Duration::from_secs(30)).await;
    assert!(matches!(read, Ok(AcquireOutcome::Acquired { .. })), "{read:?}");
    assert!(
        rw.inspect_lease(&k, LeaseKind::Rw).await.expect("ok").writer_waiting,
        "the mark went with a read"
    );
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
    let rw = locks.backend();
    let marker = LockToken::generate().expect("token");
    rw.acquire_lease(config.key(), &marker, Lease::Rw(RwMode::Write), TTL).await.expect("marks");
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
    let permits = &backend;
    let refused = permits.acquire_lease(&k, &token(), Lease::Permit { limit: 2 }, TTL).await;
    let e = refused.expect_err("another kind");
    assert_eq!(e.kind(), lock_core::BackendErrorKind::WrongType, "{e}");
    assert!(e.message().contains("holds a lock, not a semaphore"), "{e}");
    let rw = &backend;
    let e = rw
        .acquire_lease(&k, &token(), Lease::Rw(RwMode::Read), TTL)
        .await
        .expect_err("another kind");
    assert!(e.message().contains("holds a lock, not a reader-writer lock"), "{e}");
    assert_eq!(backend.inspect(&k).await.expect("ok").map(|i| i.holder), Some(holder));
}
