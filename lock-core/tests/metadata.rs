//! Metadata through the manager: bad input and unsupported uses are typed errors before any
//! I/O, and what is stored is what `info` shows.

use std::time::Duration;

use lock_core::{Error, LockManager, MemoryBackend, Metadata, Quorum};

#[tokio::test]
async fn metadata_on_a_permit_is_invalid() {
    let locks = LockManager::new(MemoryBackend::new());
    let sem = locks.semaphore("pool", 2).expect("semaphore");
    let meta = Metadata::new().with("owner", "x").expect("valid");
    let request = sem.permit().metadata(meta);
    match request.try_acquire().await {
        Err(Error::InvalidArgument { what: "metadata", .. }) => {}
        other => panic!("metadata on a permit: {other:?}"),
    }
    assert!(sem.holders().await.expect("holders").is_empty(), "a permit was taken");
}

#[tokio::test]
async fn metadata_without_backend_support_is_unsupported() {
    let nodes = [MemoryBackend::new(), MemoryBackend::new(), MemoryBackend::new()];
    let quorum = Quorum::new(nodes.clone()).expect("quorum");
    let locks = LockManager::new(quorum);
    let meta = Metadata::new().with("owner", "x").expect("valid");
    match locks.lock("job").metadata(meta).try_acquire().await {
        Err(Error::Unsupported { operation: "lock metadata", .. }) => {}
        other => panic!("metadata on a quorum: {other:?}"),
    }
    assert!(nodes.iter().all(|n| n.live_locks() == 0), "a node was asked");
}

#[tokio::test]
async fn info_shows_only_the_holders_metadata() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let meta = Metadata::this_process().with("purpose", "billing run").expect("valid");
    let guard = locks.lock("job").metadata(meta.clone()).acquire().await.expect("acquire");
    let state = locks.info("job").await.expect("info").expect("held");
    assert_eq!(state.metadata.as_ref(), Some(&meta));
    assert_eq!(state.holder, guard.holder());
    guard.release().await.expect("release");
    // A holder without metadata shows none.
    let plain = locks.try_lock("job", Duration::from_secs(5)).await.expect("ok").expect("free");
    assert_eq!(locks.info("job").await.expect("info").expect("held").metadata, None);
    plain.release().await.expect("release");
}
