//! Guarded writes through a guard on `MemoryBackend`: bad data keys are typed errors before any
//! I/O, a refused write marks the guard lost and an applied one does not.

use std::time::Duration;

use lock_core::{
    Error, LockBackend, LockManager, LossReason, MemoryBackend, backend::GuardedWriteBackend,
    backend::WriteOutcome, limits::MAX_NAME_LEN,
};

async fn guard(locks: &LockManager) -> lock_core::LockGuard {
    locks.try_lock("job", Duration::from_secs(30)).await.expect("ok").expect("free")
}

#[tokio::test]
async fn data_key_names_are_checked() {
    let locks = LockManager::new(MemoryBackend::new());
    let guard = guard(&locks).await;
    assert!(guard.data_key(&"n".repeat(MAX_NAME_LEN)).is_ok(), "the longest name was refused");
    for bad in [String::new(), "n".repeat(MAX_NAME_LEN + 1)] {
        match guard.data_key(&bad) {
            Err(Error::InvalidArgument { what: "data key name", .. }) => {}
            other => panic!("a data key name of {} bytes gave {other:?}", bad.len()),
        }
        assert!(locks.data_key("job", &bad).is_err(), "the manager took it");
    }
}

#[tokio::test]
async fn an_empty_data_key_is_refused_before_any_io() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let guard = guard(&locks).await;
    match guard.write(b"", "x").await {
        Err(Error::InvalidArgument { what: "data key", .. }) => {}
        other => panic!("an empty data key gave {other:?}"),
    }
    assert_eq!(backend.read_data(b"").await.expect("read"), None, "it was written");
}

/// A data key the backend says it cannot write with the lock is refused with its reason.
#[tokio::test]
async fn a_data_key_the_backend_refuses_is_invalid() {
    let locks = LockManager::new(RefusesOthers(MemoryBackend::new()));
    let guard = guard(&locks).await;
    match guard.write("elsewhere", "x").await {
        Err(Error::InvalidArgument { what: "data key", reason }) => {
            assert!(reason.contains("not mine"), "{reason}");
        }
        other => panic!("a refused data key gave {other:?}"),
    }
    let own = guard.data_key("mine").expect("data key");
    assert_eq!(guard.write(&own, "x").await.expect("write"), WriteOutcome::Written);
}

#[tokio::test]
async fn a_refused_write_marks_the_guard_lost_and_an_applied_one_does_not() {
    let backend = MemoryBackend::new();
    let locks = LockManager::new(backend.clone());
    let guard = guard(&locks).await;
    let data = guard.data_key("value").expect("data key");
    assert_eq!(guard.write(&data, "1").await.expect("write"), WriteOutcome::Written);
    assert!(guard.is_valid(), "an applied write marked the guard lost");
    // The key is deleted behind the holder's back; its deadline is far off.
    let holder = backend.inspect(guard.key()).await.expect("inspect").expect("held").holder;
    backend.release(guard.key(), &holder).await.expect("release");
    assert!(guard.is_valid());
    assert_eq!(guard.write(&data, "2").await.expect("write"), WriteOutcome::NotHeld);
    assert_eq!(guard.loss(), Some(LossReason::NotHeld), "a refused write left the guard valid");
    assert_eq!(locks.read_data(&data).await.expect("read").as_deref(), Some(&b"1"[..]));
}

/// Accepts only data keys ending in `mine`, else forwards to a `MemoryBackend`.
#[derive(Debug)]
struct RefusesOthers(MemoryBackend);

lock_core::forward_lock_backend!(impl for RefusesOthers => |this| &this.0, except {
    fn guarded_writes(&self) -> Option<&dyn GuardedWriteBackend> {
        Some(self)
    }
});

#[lock_core::backend::async_trait]
impl GuardedWriteBackend for RefusesOthers {
    fn data_key(&self, key: &lock_core::LockKey, name: &str) -> Vec<u8> {
        self.0.data_key(key, name)
    }
    fn check_data_key(&self, _key: &lock_core::LockKey, data_key: &[u8]) -> Result<(), String> {
        if data_key.ends_with(b"mine") { Ok(()) } else { Err("not mine".to_owned()) }
    }
    async fn write_if_held(
        &self,
        key: &lock_core::LockKey,
        token: &lock_core::LockToken,
        data_key: &[u8],
        value: &[u8],
        fence: Option<lock_core::FencingToken>,
    ) -> Result<WriteOutcome, lock_core::BackendError> {
        self.0.write_if_held(key, token, data_key, value, fence).await
    }
    async fn read_data(&self, data_key: &[u8]) -> Result<Option<Vec<u8>>, lock_core::BackendError> {
        self.0.read_data(data_key).await
    }
}

/// F7: a permit's guard and a reader-writer hold's guard do not write guarded data (the lock
/// key is not theirs): `Unsupported`, before any I/O; a lock with metadata writes as a plain
/// lock does.
#[tokio::test]
async fn only_guards_of_plain_lock_keys_write_data() {
    let locks = LockManager::new(MemoryBackend::new());
    let ttl = Duration::from_secs(30);
    let pool = locks.semaphore("pool", 2).expect("semaphore");
    let permit = pool.permit().ttl(ttl).try_acquire().await.expect("ok").expect("free");
    let config = locks.rw_lock("config").expect("rw lock");
    let read = config.read().ttl(ttl).try_acquire().await.expect("ok").expect("free");
    for guard in [&permit, &read] {
        match guard.data_key("d") {
            Err(Error::Unsupported { operation, .. }) => assert_eq!(operation, "guarded writes"),
            other => panic!("{:?}'s data key: {other:?}", guard.key()),
        }
    }
    let metadata = lock_core::Metadata::new().with("owner", "a").expect("metadata");
    let tagged = locks.lock("tagged").ttl(ttl).metadata(metadata).try_acquire().await;
    let tagged = tagged.expect("ok").expect("free");
    let data = tagged.data_key("d").expect("a data key");
    assert_eq!(tagged.write(&data, "x").await.expect("written"), WriteOutcome::Written);
}
