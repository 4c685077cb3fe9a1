//! WAIT mode on a primary with one replica: acquisitions the replica confirms succeed; with the
//! replica stopped, they fail with a Replication error and leave nothing behind.

use std::time::Duration;

use lock_fred::{BackendErrorKind, FredBackend, LockBackend, LockKey, LockToken};
use lock_testkit::server::{ReplicaPair, redis_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquisitions_wait_for_the_replica() {
    if !redis_available() {
        return;
    }
    let pair = ReplicaPair::spawn().expect("primary and replica");
    let backend = FredBackend::connect(&pair.primary.url())
        .await
        .expect("connect")
        .with_wait(1, Duration::from_millis(200))
        .expect("WAIT mode");
    let key = LockKey::with_default_prefix("wait-mode").expect("key");
    let token = LockToken::generate().expect("token");
    let granted = backend
        .try_acquire(&key, &token, Duration::from_secs(5))
        .await
        .expect("replicated acquire");
    assert!(matches!(granted, lock_fred::AcquireOutcome::Acquired { .. }), "{granted:?}");
    backend.extend(&key, &token, Duration::from_secs(5)).await.expect("replicated extend");
    backend.release(&key, &token).await.expect("release");

    pair.replica.pause().expect("stop the replica");
    let started = std::time::Instant::now();
    match backend.try_acquire(&key, &token, Duration::from_secs(5)).await {
        Err(e) => {
            assert_eq!(e.kind(), BackendErrorKind::Replication, "{e}");
            assert!(e.is_temporary());
        }
        Ok(outcome) => panic!("acquired without a replica: {outcome:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1), "WAIT took {:?}", started.elapsed());
    assert!(
        backend.inspect(&key).await.expect("inspect").is_none(),
        "an unreplicated grant was kept"
    );

    pair.replica.resume().expect("resume the replica");
    let again =
        backend.try_acquire(&key, &token, Duration::from_secs(5)).await.expect("replicated again");
    assert!(matches!(again, lock_fred::AcquireOutcome::Acquired { .. }), "{again:?}");
}

#[tokio::test]
async fn wait_mode_is_refused_on_a_cluster() {
    let Some(cluster) = lock_testkit::server::shared_cluster() else { return };
    let url = format!("redis-cluster://127.0.0.1:{}", cluster.nodes()[0].port());
    let backend = FredBackend::connect(&url).await.expect("connect");
    assert!(backend.with_wait(1, Duration::from_millis(100)).is_err());
}
