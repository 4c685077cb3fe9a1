//! WAIT mode on a primary with one replica (the shared checks in lock-testkit: unconfirmed
//! grants are refused, and a failed give-back is reported), and its refusal on a cluster.

use std::time::Duration;

use lock_client_tests::{Client, client_tests};
use lock_redis::{BackendErrorKind, ConnectOptions};
use lock_testkit::redis_checks::{
    add_user_who_cannot_delete, wait_mode_needs_the_replica, wait_mode_reports_a_failed_give_back,
};
use lock_testkit::server::{ReplicaPair, redis_available};

client_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] acquisitions_wait_for_the_replica,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] a_failed_give_back_is_reported,
    #[tokio::test] wait_mode_is_refused_on_a_cluster,
    #[tokio::test] wait_timeouts_are_checked,
}

async fn acquisitions_wait_for_the_replica<C: Client>() {
    if !redis_available() {
        return;
    }
    let pair = ReplicaPair::spawn().expect("primary and replica");
    let backend = C::connect(&pair.primary.url())
        .await
        .expect("connect")
        .wait_mode(1, Duration::from_millis(200))
        .expect("WAIT mode");
    if let Err(failure) = wait_mode_needs_the_replica(&backend, &pair.replica).await {
        panic!("{failure}");
    }
}

async fn a_failed_give_back_is_reported<C: Client>() {
    if !redis_available() {
        return;
    }
    let pair = ReplicaPair::spawn().expect("primary and replica");
    let url = add_user_who_cannot_delete(&pair.primary).unwrap_or_else(|f| panic!("{f}"));
    let backend = C::connect(&url)
        .await
        .expect("connect")
        .wait_mode(1, Duration::from_millis(200))
        .expect("WAIT mode");
    if let Err(failure) = wait_mode_reports_a_failed_give_back(&backend, &pair.replica).await {
        panic!("{failure}");
    }
}

async fn wait_mode_is_refused_on_a_cluster<C: Client>() {
    let Some(cluster) = lock_testkit::server::shared_cluster() else { return };
    let backend = C::connect_cluster(cluster.urls(), ConnectOptions::new()).await.expect("connect");
    let e = backend.wait_mode(1, Duration::from_millis(100)).expect_err("WAIT on a cluster");
    assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
}

/// A WAIT timeout of zero (block forever) or not under the reply timeout of the connection the
/// crate opened (the client would give up on every WAIT) is a `Config` error before any I/O.
async fn wait_timeouts_are_checked<C: Client>() {
    let Some(url) = lock_testkit::server::standalone_url() else { return };
    let backend = C::connect(&url).await.expect("connect");
    for bad in [Duration::ZERO, C::REPLY_TIMEOUT, C::REPLY_TIMEOUT * 2] {
        let e = backend.clone().wait_mode(1, bad).expect_err("a bad WAIT timeout");
        assert_eq!(e.kind(), BackendErrorKind::Config, "{bad:?}: {e}");
        assert!(!e.is_temporary(), "{e}");
    }
    let under = C::REPLY_TIMEOUT - Duration::from_millis(1);
    backend.wait_mode(1, under).expect("a timeout under the reply timeout");
}
