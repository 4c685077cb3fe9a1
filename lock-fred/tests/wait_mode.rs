//! WAIT mode on a primary with one replica (the shared checks in lock-testkit: unconfirmed
//! grants are refused, and a failed give-back is reported), and its refusal on a cluster.

use std::time::Duration;

use lock_fred::FredBackend;
use lock_testkit::redis_checks::{
    add_user_who_cannot_publish, wait_mode_needs_the_replica, wait_mode_reports_a_failed_give_back,
};
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
    if let Err(failure) = wait_mode_needs_the_replica(&backend, &pair.replica).await {
        panic!("{failure}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_give_back_is_reported() {
    if !redis_available() {
        return;
    }
    let pair = ReplicaPair::spawn().expect("primary and replica");
    let url = add_user_who_cannot_publish(&pair.primary).unwrap_or_else(|f| panic!("{f}"));
    let backend = FredBackend::connect(&url)
        .await
        .expect("connect")
        .with_wait(1, Duration::from_millis(200))
        .expect("WAIT mode");
    if let Err(failure) = wait_mode_reports_a_failed_give_back(&backend, &pair.replica).await {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn wait_mode_is_refused_on_a_cluster() {
    let Some(cluster) = lock_testkit::server::shared_cluster() else { return };
    let url = format!("redis-cluster://127.0.0.1:{}", cluster.nodes()[0].port());
    let backend = FredBackend::connect(&url).await.expect("connect");
    assert!(backend.with_wait(1, Duration::from_millis(100)).is_err());
}

/// A WAIT timeout of zero (block forever) or not under the client's command timeout (it would
/// give up on every WAIT) is a `Config` error before any I/O.
#[tokio::test]
async fn wait_timeouts_are_checked() {
    let Some(url) = lock_testkit::server::standalone_url() else { return };
    let backend = FredBackend::connect(&url).await.expect("connect");
    for bad in [Duration::ZERO, lock_fred::COMMAND_TIMEOUT, Duration::from_secs(5)] {
        let e = backend.clone().with_wait(1, bad).expect_err("a bad WAIT timeout");
        assert_eq!(e.kind(), lock_fred::BackendErrorKind::Config, "{bad:?}: {e}");
    }
    let under = lock_fred::COMMAND_TIMEOUT - Duration::from_millis(1);
    backend.with_wait(1, under).expect("a timeout under the command timeout");
}
