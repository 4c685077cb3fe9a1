//! Guarded writes and their data keys on a standalone server and on a cluster: on a cluster a
//! data key must share the lock's slot (refused before any I/O with a clear error otherwise);
//! on a standalone server any key is accepted; hash tags name keys that fit both.

use std::time::Duration;

use lock_redis::{LockManager, RedisBackend, WriteOutcome};
use lock_testkit::server;

async fn guarded_writes_on(locks: LockManager, clustered: bool) {
    let name = format!("{{order:{}}}", std::process::id());
    let guard = locks.try_lock(&name, Duration::from_secs(10)).await.expect("ok").expect("free");
    // A key with the lock's hash tag, and the library's own name for a data key: both fit.
    let tagged = format!("{name}:total");
    assert_eq!(guard.write(&tagged, "12").await.expect("write"), WriteOutcome::Written);
    let own = guard.data_key("status").expect("data key");
    assert_eq!(guard.write_fenced(&own, "paid").await.expect("write"), WriteOutcome::Written);
    assert_eq!(locks.read_data(&tagged).await.expect("read").as_deref(), Some(&b"12"[..]));
    assert_eq!(locks.read_data(&own).await.expect("read").as_deref(), Some(&b"paid"[..]));
    // A key in another slot (`total` hashes to 7418, `{order:..}` elsewhere).
    let elsewhere = format!("total:{}", std::process::id());
    assert_ne!(
        lock_redis::hash_slot(elsewhere.as_bytes()),
        lock_redis::hash_slot(guard.key().as_bytes())
    );
    let outcome = guard.write(&elsewhere, "1").await;
    if clustered {
        match outcome {
            Err(lock_redis::Error::InvalidArgument { what: "data key", reason }) => {
                assert!(reason.contains("slot") && reason.contains("hash tag"), "{reason}");
            }
            other => panic!("a cross-slot data key on a cluster gave {other:?}"),
        }
        assert_eq!(locks.read_data(&elsewhere).await.expect("read"), None, "it was written");
    } else {
        assert_eq!(outcome.expect("write"), WriteOutcome::Written);
    }
    guard.release().await.expect("release");
}

#[tokio::test]
async fn standalone_accepts_any_data_key() {
    let Some(url) = server::standalone_url() else { return };
    let backend = RedisBackend::connect(&url).await.expect("connect");
    guarded_writes_on(LockManager::new(backend), false).await;
}

#[tokio::test]
async fn cluster_needs_the_locks_slot() {
    let Some(cluster) = server::shared_cluster() else { return };
    let backend = RedisBackend::connect_cluster(cluster.urls()).await.expect("connect");
    guarded_writes_on(LockManager::new(backend), true).await;
}
