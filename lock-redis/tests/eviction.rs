//! The connecting constructors read the server's `maxmemory-policy` (issue 9): a policy that
//! lets Redis evict held locks is warned about once (or refused with a `Config` error when
//! asked), `noeviction` passes quietly, and a user the ACL refuses `INFO` connects quietly with
//! the policy unknown. Real servers, real policies.

use lock_redis::{BackendErrorKind, ConnectOptions, EvictionCheck, RedisBackend};
use lock_testkit::redis_checks::LEAST_PRIVILEGE_RULES;
use lock_testkit::server::{RedisCluster, RedisServer, redis_available};
use lock_testkit::warnings::with_warnings;

fn refuse() -> ConnectOptions {
    ConnectOptions::new().eviction(EvictionCheck::Refuse)
}

/// `connect` and `from_client` on an `allkeys-lru` server each warn once, naming the policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicting_policy_is_warned_about_once_per_backend() {
    if !redis_available() {
        return;
    }
    let server =
        RedisServer::builder().config("maxmemory-policy allkeys-lru").spawn().expect("spawn");
    let url = server.url();
    let (backend, warnings) = with_warnings(RedisBackend::connect(&url)).await;
    let backend = backend.expect("a warning, not a refusal");
    assert_eq!(backend.eviction_policy(), Some("allkeys-lru"), "the policy was read");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("maxmemory-policy allkeys-lru lets Redis evict held locks")
            && warnings[0].contains("set maxmemory-policy noeviction")
            && warnings[0].contains(&format!("127.0.0.1:{}", server.port())),
        "{warnings:?}"
    );
    let client = lock_redis::redis::Client::open(url.as_str()).expect("client");
    let (from_client, warnings) = with_warnings(RedisBackend::from_client(client)).await;
    assert!(from_client.is_ok(), "{from_client:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("allkeys-lru"), "{warnings:?}");
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
        let warned = RedisBackend::connect(&url).await.expect("warn mode connects");
        assert_eq!(warned.eviction_policy(), Some(policy));
        let client = lock_redis::redis::Client::open(url.as_str()).expect("client");
        for refused in [
            RedisBackend::connect_with(&url, refuse()).await,
            RedisBackend::from_client_with(client, refuse()).await,
        ] {
            let e = refused.expect_err("an evicting server is refused");
            assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
            assert!(!e.is_temporary(), "{e}");
            let expected = format!("maxmemory-policy {policy} lets Redis evict held locks");
            assert!(e.message().contains(&expected), "{e}");
            assert!(e.message().contains("noeviction"), "{e}");
        }
        let (off, warnings) = with_warnings(RedisBackend::connect_with(
            &url,
            ConnectOptions::new().eviction(EvictionCheck::Off),
        ))
        .await;
        let off = off.expect("the check is off");
        assert_eq!((off.eviction_policy(), warnings.len()), (None, 0), "{warnings:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noeviction_is_accepted_quietly() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::spawn().expect("spawn");
    let url = server.url();
    let (backend, warnings) = with_warnings(RedisBackend::connect(&url)).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(backend.expect("connect").eviction_policy(), Some("noeviction"));
    let client = lock_redis::redis::Client::open(url.as_str()).expect("client");
    let (strict, warnings) = with_warnings(RedisBackend::from_client_with(client, refuse())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    let strict = strict.expect("noeviction is accepted");
    assert_eq!(strict.eviction_policy(), Some("noeviction"));
    assert!(lock_redis::LockBackend::endpoint(&strict).is_some_and(|e| e.contains("run_id")));
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
    let (backend, warnings) = with_warnings(RedisBackend::connect_with(&url, refuse())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    let backend = backend.expect("an unknown policy is accepted");
    assert_eq!(backend.eviction_policy(), None);
    let locks = lock_redis::LockManager::new(backend);
    let guard = locks
        .try_lock("evict:acl", std::time::Duration::from_secs(5))
        .await
        .expect("the user locks")
        .expect("free");
    guard.release().await.expect("release");
}

/// On a cluster, every master is read: one master with an evicting policy is enough, and named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_master_that_evicts_is_found() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    let (clean, warnings) = with_warnings(RedisBackend::connect_cluster(cluster.urls())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(clean.expect("connect").eviction_policy(), Some("noeviction"));

    let evicting = &cluster.nodes()[1];
    let mut admin = evicting.admin().expect("admin");
    let set = admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]).expect("set");
    assert!(!set.is_error(), "{set:?}");
    let (warned, warnings) = with_warnings(RedisBackend::connect_cluster(cluster.urls())).await;
    assert_eq!(warned.expect("a warning, not a refusal").eviction_policy(), Some("volatile-lru"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let master = format!("127.0.0.1:{}", evicting.port());
    assert!(warnings[0].contains("volatile-lru") && warnings[0].contains(&master), "{warnings:?}");
    let refused = RedisBackend::connect_cluster_with(cluster.urls(), refuse())
        .await
        .expect_err("an evicting master is refused");
    assert_eq!(refused.kind(), BackendErrorKind::Config, "{refused}");
    assert!(refused.message().contains("volatile-lru"), "{refused}");
}
