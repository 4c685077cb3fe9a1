//! Every constructor connects, advertises fencing and release notification, and locks.

use std::time::Duration;

use lock_fred::fred::prelude::{Builder, ClientLike, Config, ServerConfig};
use lock_fred::{FredBackend, LockBackend, LockManager};
use lock_testkit::server;

async fn exercise(backend: FredBackend) {
    let caps = backend.info().capabilities;
    assert!(caps.fencing && caps.release_notify, "{backend:?} capabilities {caps:?}");
    let locks = LockManager::new(backend);
    let name = format!("ctor:{:?}", std::time::SystemTime::now());
    let guard =
        locks.try_lock(&name, Duration::from_secs(5)).await.expect("acquire").expect("free");
    assert!(guard.fencing_token().is_some());
    assert!(locks.try_lock(&name, Duration::from_secs(5)).await.expect("acquire").is_none());
    let waiter = locks.lock(&name).wait(Duration::from_secs(5)).acquire();
    let (_, waited) = tokio::join!(guard.release(), waiter);
    waited.expect("the waiter got the released lock").release().await.expect("release");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_constructors() {
    let Some(url) = server::standalone_url() else {
        return;
    };
    exercise(FredBackend::connect(&url).await.expect("connect")).await;
    let config = Config::from_url(&url).expect("url");
    exercise(FredBackend::connect_config(config.clone()).await.expect("connect_config")).await;
    let client = Builder::from_config(config.clone()).build().expect("client");
    client.init().await.expect("init");
    exercise(FredBackend::from_client(client)).await;
    let pool = Builder::from_config(config.clone()).build_pool(3).expect("pool");
    pool.init().await.expect("init");
    exercise(FredBackend::from_pool(pool)).await;
    exercise(FredBackend::connect_pool(config, 2).await.expect("connect_pool")).await;
    let plain = FredBackend::connect(&url).await.expect("connect").without_fencing();
    assert!(!plain.info().capabilities.fencing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_and_sentinel_configs() {
    let Some(cluster) = server::shared_cluster() else {
        return;
    };
    let hosts = cluster.nodes().iter().map(|n| ("127.0.0.1", n.port())).collect();
    let config = Config { server: ServerConfig::new_clustered(hosts), ..Config::default() };
    exercise(FredBackend::connect_config(config).await.expect("cluster")).await;
    let url = format!("redis-cluster://127.0.0.1:{}", cluster.nodes()[0].port());
    exercise(FredBackend::connect(&url).await.expect("cluster url")).await;
    let Some(sentinel) = server::shared_sentinel() else {
        return;
    };
    let config = Config {
        server: ServerConfig::new_sentinel(sentinel.sentinel_addrs(), sentinel.service()),
        ..Config::default()
    };
    exercise(FredBackend::connect_config(config).await.expect("sentinel")).await;
}

#[tokio::test]
async fn bad_urls_are_config_errors() {
    let err = FredBackend::connect("not-a-url").await.expect_err("accepted a bad URL");
    assert_eq!(err.kind(), lock_fred::BackendErrorKind::Config, "{err}");
}

/// A URL that is not a Redis one is refused before any I/O, with a `Config` error naming the
/// scheme (fred alone would connect to `http://host:port` as to a Redis server).
#[tokio::test]
async fn non_redis_urls_are_refused() {
    for url in ["http://127.0.0.1:6379", "postgres://127.0.0.1:5432/test", "127.0.0.1:6379"] {
        let err = FredBackend::connect(url).await.expect_err(url);
        assert_eq!(err.kind(), lock_fred::BackendErrorKind::Config, "{url}: {err}");
        assert!(!err.is_temporary());
        assert!(
            err.message().contains("Redis URL") || err.message().contains("not a URL"),
            "{err}"
        );
    }
}

/// A server that needs a password: `connect` without it fails with an `Auth` error saying a
/// password is needed, and with a wrong one without saying so.
#[tokio::test]
async fn missing_and_wrong_passwords_each_have_their_message() {
    if !lock_testkit::server::redis_available() {
        return;
    }
    let server =
        lock_testkit::server::RedisServer::builder().password("s3cret").spawn().expect("server");
    let url = server.url();
    FredBackend::connect(&url).await.expect("the right password connects");

    let missing = FredBackend::connect(&url.replacen(":s3cret@", "", 1)).await.expect_err("none");
    assert_eq!(missing.kind(), lock_fred::BackendErrorKind::Auth, "{missing}");
    assert!(missing.message().contains("needs a password"), "{missing}");

    let refused = FredBackend::connect(&url.replacen(":s3cret@", ":nope@", 1)).await.expect_err("");
    assert_eq!(refused.kind(), lock_fred::BackendErrorKind::Auth, "{refused}");
    assert!(!refused.message().contains("needs a password"), "{refused}");
}
