//! The provided methods of `LockBackend`, on a backend that implements only the required
//! primitives: a plain lock goes through the lease calls as through the primitives, and every
//! other kind, lock sets, batched extends and metadata answer `Unsupported` (K1), with the
//! documented defaults for `can_acquire_together` and `max_batch`.

use std::time::Duration;

use lock_core::{
    BackendError, BackendErrorKind, LockBackend, LockKey, LockToken, MemoryBackend, Metadata,
    backend::AcquireOutcome, backend::BackendInfo, backend::Capabilities, backend::ExtendItem,
    backend::ExtendOutcome, backend::Lease, backend::LeaseKind, backend::LockInfo,
    backend::ReleaseOutcome, backend::ReleaseWatch, backend::async_trait,
};

/// The four primitives and the release watch of a `MemoryBackend`, nothing else.
#[derive(Debug, Default)]
struct Primitives(MemoryBackend);

#[async_trait]
impl LockBackend for Primitives {
    fn info(&self) -> BackendInfo {
        BackendInfo::new("primitives", Capabilities::none().with_release_notify(true))
    }

    async fn try_acquire(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<AcquireOutcome, BackendError> {
        self.0.try_acquire(key, token, ttl).await
    }

    async fn release(
        &self,
        key: &LockKey,
        token: &LockToken,
    ) -> Result<ReleaseOutcome, BackendError> {
        self.0.release(key, token).await
    }

    async fn extend(
        &self,
        key: &LockKey,
        token: &LockToken,
        ttl: Duration,
    ) -> Result<ExtendOutcome, BackendError> {
        self.0.extend(key, token, ttl).await
    }

    async fn inspect(&self, key: &LockKey) -> Result<Option<LockInfo>, BackendError> {
        self.0.inspect(key).await
    }

    async fn watch_release(&self, key: &LockKey) -> Result<ReleaseWatch, BackendError> {
        self.0.watch_release(key).await
    }
}

fn unsupported<T>(answer: Result<T, BackendError>, what: &str) {
    match answer {
        Err(e) if e.kind() == BackendErrorKind::Unsupported => {}
        Err(e) => panic!("{what}: {e}, not Unsupported"),
        Ok(_) => panic!("{what}: answered, not Unsupported"),
    }
}

const TTL: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_plain_lock_goes_through_the_lease_calls() {
    let backend = Primitives::default();
    let key = LockKey::with_default_prefix("defaults").unwrap();
    let token = LockToken::generate().unwrap();
    let granted = backend.acquire_lease(&key, &token, Lease::Lock, TTL).await.unwrap();
    assert!(matches!(granted, AcquireOutcome::Acquired { .. }), "{granted:?}");
    for kind in [LeaseKind::Lock, LeaseKind::Fair] {
        let held = backend.inspect_lease(&key, kind).await.unwrap();
        let holders: Vec<_> = held.holders.iter().map(|h| (&h.info.holder, h.mode)).collect();
        assert_eq!(holders, [(&token, None)], "{kind:?}");
        assert!(!held.writer_waiting);
    }
    let short = Duration::from_secs(2);
    for kind in [LeaseKind::Lock, LeaseKind::Fair] {
        assert_eq!(
            backend.extend_lease(&key, &token, kind, short).await.unwrap(),
            ExtendOutcome::Extended
        );
    }
    let left = backend.inspect(&key).await.unwrap().unwrap().ttl_remaining.unwrap();
    assert!(left <= short, "extended to {left:?}, not {short:?}");
    let watch = backend.watch_lease(&key, &token, LeaseKind::Lock).await.unwrap();
    let released = backend.release_lease(&key, &token, LeaseKind::Lock).await.unwrap();
    assert_eq!(released, ReleaseOutcome::Released);
    tokio::time::timeout(Duration::from_secs(1), watch).await.expect("the release wakes the watch");
    assert!(backend.inspect_lease(&key, LeaseKind::Lock).await.unwrap().holders.is_empty());
}

#[tokio::test]
async fn everything_else_is_unsupported() {
    let backend = Primitives::default();
    let key = LockKey::with_default_prefix("defaults-else").unwrap();
    let token = LockToken::generate().unwrap();
    let metadata = Metadata::new();
    let leases = [
        Lease::Metadata(&metadata),
        Lease::Permit { limit: 2 },
        Lease::Rw(lock_core::RwMode::Read),
        Lease::Fair { queue_ttl: TTL },
    ];
    for lease in leases {
        let kind = lease.kind();
        unsupported(backend.acquire_lease(&key, &token, lease, TTL).await, "acquire");
        unsupported(backend.release_lease(&key, &token, kind).await, "release");
        if kind != LeaseKind::Fair {
            unsupported(backend.extend_lease(&key, &token, kind, TTL).await, "extend");
        }
        if !matches!(kind, LeaseKind::Fair | LeaseKind::Metadata) {
            unsupported(backend.inspect_lease(&key, kind).await, "inspect");
        }
        if kind != LeaseKind::Metadata {
            unsupported(backend.watch_lease(&key, &token, kind).await, "watch");
        }
    }
    unsupported(backend.inspect_metadata(&key).await, "inspect_metadata");
    let keys = [key.clone()];
    assert!(!backend.can_acquire_together(&keys), "no lock sets by default");
    unsupported(
        backend.try_acquire_all(&keys, std::slice::from_ref(&token), TTL).await,
        "lock sets",
    );
    assert_eq!(backend.max_batch(), 256);
    let items = [ExtendItem { key: &key, token: &token, ttl: TTL }];
    unsupported(backend.extend_batch(&items).await, "batched extends");
    assert!(backend.guarded_writes().is_none());
    assert!(backend.inspect(&key).await.unwrap().is_none(), "nothing was taken");
}

/// `LockManager::info` shows a lock without metadata only when the metadata read is
/// `Unsupported` (a wrapper that does not forward it); any other failure is the caller's error.
#[tokio::test]
async fn a_failed_metadata_read_is_an_error_of_info() {
    let locks = lock_core::LockManager::new(Broken::default());
    let guard = locks.try_lock("shown", TTL).await.unwrap().expect("free");
    match locks.info("shown").await {
        Err(lock_core::Error::Backend(e)) => assert_eq!(e.kind(), BackendErrorKind::Timeout),
        other => panic!("info with the metadata read down: {other:?}"),
    }
    guard.release().await.unwrap();
    let plain = lock_core::LockManager::new(Primitives::default());
    let _held = plain.try_lock("shown", TTL).await.unwrap().expect("free");
    let shown = plain.info("shown").await.unwrap().expect("held");
    assert_eq!(shown.metadata, None);
}

/// Offers metadata and reader-writer locks, and breaks both: its metadata read fails for now,
/// and it reports reader-writer holders without their modes (breaking RWI1).
#[derive(Debug, Default)]
struct Broken(MemoryBackend);

// Everything else is MemoryBackend's.
lock_core::forward_lock_backend!(impl for Broken => |this| &this.0, except {
    fn info(&self) -> BackendInfo {
        let kinds = [LeaseKind::Metadata, LeaseKind::Rw];
        BackendInfo::new("broken", Capabilities::none().with_leases(&kinds))
    }

    async fn inspect_lease(
        &self,
        key: &LockKey,
        kind: LeaseKind,
    ) -> Result<lock_core::backend::LeaseHolders, BackendError> {
        let mut held = self.0.inspect_lease(key, kind).await?;
        held.holders.iter_mut().for_each(|h| h.mode = None);
        Ok(held)
    }

    async fn inspect_metadata(
        &self,
        _: &LockKey,
    ) -> Result<Option<(LockToken, Metadata)>, BackendError> {
        Err(BackendError::new("broken", BackendErrorKind::Timeout, "no reply").with_temporary(true))
    }
});

/// `RwLock::holders` refuses a reader-writer holder reported without its mode as a `Protocol`
/// error instead of leaving it out (an empty list would say nobody holds the lock).
#[tokio::test]
async fn a_reader_writer_holder_without_a_mode_is_a_protocol_error() {
    let locks = lock_core::LockManager::new(Broken::default());
    let config = locks.rw_lock("config").unwrap();
    let _read = config.read().ttl(TTL).try_acquire().await.unwrap().expect("free");
    match config.holders().await {
        Err(lock_core::Error::Backend(e)) => assert_eq!(e.kind(), BackendErrorKind::Protocol),
        other => panic!("holders without modes: {other:?}"),
    }
}
