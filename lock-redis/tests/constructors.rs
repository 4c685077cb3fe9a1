//! Every constructor connects, advertises what it can do, and locks.

use std::time::Duration;

use lock_redis::{LockBackend, LockManager, RedisBackend};
use lock_testkit::server;

async fn exercise(backend: RedisBackend, notify: bool) {
    let caps = backend.info().capabilities;
    assert!(caps.fencing, "{backend:?} does not advertise fencing");
    assert_eq!(caps.release_notify, notify, "{backend:?} release notification");
    let locks = LockManager::new(backend);
    let name = format!("ctor:{:016x}", rand_name());
    let guard =
        locks.try_lock(&name, Duration::from_secs(5)).await.expect("acquire").expect("free");
    assert!(guard.fencing_token().is_some());
    assert!(locks.try_lock(&name, Duration::from_secs(5)).await.expect("acquire").is_none());
    guard.release().await.expect("release");
}

fn rand_name() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_constructors() {
    let Some(url) = server::standalone_url() else {
        return;
    };
    let client = lock_redis::redis::Client::open(url.as_str()).expect("client");
    exercise(RedisBackend::connect(&url).await.expect("connect"), true).await;
    exercise(RedisBackend::from_client(client.clone()).await.expect("from_client"), true).await;
    let manager = client.get_connection_manager().await.expect("manager");
    exercise(RedisBackend::from_connection_manager(manager.clone()), false).await;
    exercise(
        RedisBackend::from_connection_manager(manager).with_notifications(client.clone()),
        true,
    )
    .await;
    let multiplexed = client.get_multiplexed_async_connection().await.expect("multiplexed");
    exercise(RedisBackend::from_multiplexed(multiplexed).with_notifications(client.clone()), true)
        .await;
    let pool = deadpool_redis::Config::from_url(url.as_str())
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .expect("pool");
    exercise(RedisBackend::from_pool(pool.clone()), false).await;
    exercise(RedisBackend::from_pool(pool).with_notifications(client), true).await;
    exercise(RedisBackend::connect_pooled(&url, 4).expect("connect_pooled"), true).await;
    let plain = RedisBackend::connect(&url).await.expect("connect").without_fencing();
    assert!(!plain.info().capabilities.fencing);
    let locks = LockManager::new(plain);
    let guard = locks
        .try_lock("ctor:unfenced", Duration::from_secs(5))
        .await
        .expect("acquire")
        .expect("free");
    assert_eq!(guard.fencing_token(), None);
    guard.release().await.expect("release");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_constructors() {
    let Some(cluster) = server::shared_cluster() else {
        return;
    };
    exercise(RedisBackend::connect_cluster(cluster.urls()).await.expect("connect_cluster"), true)
        .await;
    let client = lock_redis::redis::cluster::ClusterClient::new(cluster.urls()).expect("client");
    let connection = client.get_async_connection().await.expect("connection");
    exercise(RedisBackend::from_cluster_connection(connection.clone()), false).await;
    let with = RedisBackend::from_cluster_connection(connection)
        .with_cluster_notifications(cluster.urls())
        .expect("notify");
    exercise(with, true).await;
}

#[tokio::test]
async fn bad_urls_are_config_errors() {
    let err = RedisBackend::connect("not-a-url").await.expect_err("accepted a bad URL");
    assert_eq!(err.kind(), lock_redis::BackendErrorKind::Config, "{err}");
    let refused = RedisBackend::connect("redis://127.0.0.1:1/")
        .await
        .expect_err("connected to a closed port");
    assert!(refused.is_temporary(), "a refused connection should be temporary: {refused}");
}

/// A server that needs a password: `connect` without it fails at once with an `Auth` error
/// saying a password is needed; with a wrong one, saying it is wrong; neither waits for the
/// first lock.
#[tokio::test]
async fn missing_and_wrong_passwords_fail_at_connect_each_with_its_message() {
    if !server::redis_available() {
        return;
    }
    let server = server::RedisServer::builder().password("s3cret").spawn().expect("a server");
    let url = server.url();
    RedisBackend::connect(&url).await.expect("the right password connects");

    let bare = url.replacen(":s3cret@", "", 1);
    assert!(!bare.contains("s3cret"), "{bare}");
    let missing = RedisBackend::connect(&bare).await.expect_err("no password");
    assert_eq!(missing.kind(), lock_redis::BackendErrorKind::Auth, "{missing}");
    assert!(missing.message().contains("needs a password"), "{missing}");
    assert!(!missing.message().contains("ACL"), "{missing}");

    let wrong = url.replacen(":s3cret@", ":nope@", 1);
    let refused = RedisBackend::connect(&wrong).await.expect_err("wrong password");
    assert_eq!(refused.kind(), lock_redis::BackendErrorKind::Auth, "{refused}");
    assert!(!refused.message().contains("needs a password"), "{refused}");
}
