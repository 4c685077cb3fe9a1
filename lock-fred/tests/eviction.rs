//! The connecting constructors read the server's `maxmemory-policy` (issue 9): a policy that
//! lets Redis evict held locks is warned about once (or refused with a `Config` error when
//! asked), `noeviction` passes quietly, and a user the ACL refuses `INFO` connects quietly with
//! the policy unknown. Real servers, real policies.

use lock_fred::fred::types::config::{Config, ServerConfig};
use lock_fred::{BackendErrorKind, ConnectOptions, EvictionCheck, FredBackend};
use lock_testkit::redis_checks::LEAST_PRIVILEGE_RULES;
use lock_testkit::server::{RedisCluster, RedisServer, redis_available};
use lock_testkit::warnings::with_warnings;

fn refuse() -> ConnectOptions {
    ConnectOptions::new().eviction(EvictionCheck::Refuse)
}

fn config(url: &str) -> Config {
    Config::from_url(url).expect("url")
}

/// `connect`, `connect_config` and `connect_pool` on an `allkeys-lru` server each warn once,
/// naming the policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicting_policy_is_warned_about_once_per_backend() {
    if !redis_available() {
        return;
    }
    let server =
        RedisServer::builder().config("maxmemory-policy allkeys-lru").spawn().expect("spawn");
    let url = server.url();
    let (backend, warnings) = with_warnings(FredBackend::connect(&url)).await;
    let backend = backend.expect("a warning, not a refusal");
    assert_eq!(backend.eviction_policy(), Some("allkeys-lru"), "the policy was read");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("maxmemory-policy allkeys-lru lets Redis evict held locks")
            && warnings[0].contains("set maxmemory-policy noeviction")
            && warnings[0].contains(&format!("127.0.0.1:{}", server.port())),
        "{warnings:?}"
    );
    let (by_config, warnings) = with_warnings(FredBackend::connect_config(config(&url))).await;
    assert!(by_config.is_ok(), "{by_config:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("allkeys-lru"), "{warnings:?}");
    let (pooled, warnings) = with_warnings(FredBackend::connect_pool(config(&url), 3)).await;
    assert!(pooled.is_ok(), "{pooled:?}");
    assert_eq!(warnings.len(), 1, "one warning for the whole pool: {warnings:?}");
    // Cloning or deriving a backend does not warn again.
    let (_, again) = with_warnings(async { backend.clone().without_fencing() }).await;
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_names_the_policy_and_the_accessor_shows_it() {
    if !redis_available() {
        return;
    }
    for policy in ["allkeys-lru", "volatile-ttl"] {
        let server = RedisServer::builder()
            .config(format!("maxmemory-policy {policy}"))
            .spawn()
            .expect("spawn");
        let url = server.url();
        let warned = FredBackend::connect(&url).await.expect("warn mode connects");
        assert_eq!(warned.eviction_policy(), Some(policy));
        assert_eq!(
            FredBackend::connect_pool(config(&url), 2).await.expect("pool").eviction_policy(),
            Some(policy)
        );
        for refused in [
            FredBackend::connect_with(&url, refuse()).await,
            FredBackend::connect_config_with(config(&url), refuse()).await,
            FredBackend::connect_pool_with(config(&url), 2, refuse()).await,
        ] {
            let e = refused.expect_err("an evicting server is refused");
            assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
            assert!(!e.is_temporary(), "{e}");
            let expected = format!("maxmemory-policy {policy} lets Redis evict held locks");
            assert!(e.message().contains(&expected), "{e}");
            assert!(e.message().contains("noeviction"), "{e}");
        }
        let (off, warnings) = with_warnings(FredBackend::connect_with(
            &url,
            ConnectOptions::new().eviction(EvictionCheck::Off),
        ))
        .await;
        let off = off.expect("the check is off");
        assert_eq!((off.eviction_policy(), warnings.len()), (None, 0), "{warnings:?}");
        assert!(lock_fred::LockBackend::endpoint(&off).is_some_and(|e| e.contains("run_id")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noeviction_is_accepted_quietly() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::spawn().expect("spawn");
    let url = server.url();
    let (backend, warnings) = with_warnings(FredBackend::connect(&url)).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(backend.expect("connect").eviction_policy(), Some("noeviction"));
    let (strict, warnings) =
        with_warnings(FredBackend::connect_pool_with(config(&url), 2, refuse())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    let strict = strict.expect("noeviction is accepted");
    assert_eq!(strict.eviction_policy(), Some("noeviction"));
    assert!(lock_fred::LockBackend::endpoint(&strict).is_some_and(|e| e.contains("run_id")));
}

/// A user who may run neither `INFO` nor `CONFIG` connects without a word, even when refusing,
/// and the policy is unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_info_falls_back_quietly() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder()
        .config("maxmemory-policy allkeys-lru")
        .user("locker", "locker-pw", LEAST_PRIVILEGE_RULES)
        .spawn()
        .expect("spawn");
    let url = server.url_for("locker").expect("a user URL");
    let mut user = server.admin().expect("admin");
    let acl = user.cmd(&["ACL", "DRYRUN", "locker", "INFO"]).expect("dryrun");
    assert!(acl.text().is_some_and(|t| t != "OK"), "the user may run INFO: {acl:?}");
    let (backend, warnings) = with_warnings(FredBackend::connect_with(&url, refuse())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    let backend = backend.expect("an unknown policy is accepted");
    assert_eq!(backend.eviction_policy(), None);
    let locks = lock_fred::LockManager::new(backend);
    let guard = locks
        .try_lock("evict:acl", std::time::Duration::from_secs(5))
        .await
        .expect("the user locks")
        .expect("free");
    guard.release().await.expect("release");
}

/// On a cluster, every primary is read: one primary with an evicting policy is enough, and named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_primary_that_evicts_is_found() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    let clustered = || Config {
        server: ServerConfig::new_clustered(
            cluster.nodes().iter().map(|n| ("127.0.0.1", n.port())).collect(),
        ),
        ..Config::default()
    };
    let (clean, warnings) = with_warnings(FredBackend::connect_config(clustered())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(clean.expect("connect").eviction_policy(), Some("noeviction"));

    let evicting = &cluster.nodes()[2];
    let mut admin = evicting.admin().expect("admin");
    let set = admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]).expect("set");
    assert!(!set.is_error(), "{set:?}");
    let (warned, warnings) = with_warnings(FredBackend::connect_config(clustered())).await;
    assert_eq!(warned.expect("a warning, not a refusal").eviction_policy(), Some("volatile-lru"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let primary = format!("127.0.0.1:{}", evicting.port());
    assert!(warnings[0].contains("volatile-lru") && warnings[0].contains(&primary), "{warnings:?}");
    let refused = FredBackend::connect_config_with(clustered(), refuse())
        .await
        .expect_err("an evicting primary is refused");
    assert_eq!(refused.kind(), BackendErrorKind::Config, "{refused}");
    assert!(refused.message().contains("volatile-lru"), "{refused}");
}
