//! The connecting constructors read the server's `maxmemory-policy` (issue 9): a policy that
//! lets Redis evict held locks is warned about once (or refused with a `Config` error when
//! asked), `noeviction` passes quietly, and a user the ACL refuses `INFO` connects quietly with
//! the policy unknown. Real servers, real policies.

use lock_client_tests::{Client, client_tests};
use lock_redis::{BackendErrorKind, ConnectOptions, EvictionCheck, LockManager};
use lock_testkit::redis_checks::LEAST_PRIVILEGE_RULES;
use lock_testkit::server::{RedisCluster, RedisServer, redis_available};
use lock_testkit::warnings::with_warnings;

client_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] an_evicting_policy_is_warned_about_once_per_backend,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] refuse_names_the_policy_and_the_accessor_shows_it,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] noeviction_is_accepted_quietly,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] a_user_without_info_falls_back_quietly,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] a_cluster_primary_that_evicts_is_found,
}

fn refuse() -> ConnectOptions {
    ConnectOptions::new().eviction(EvictionCheck::Refuse)
}

/// Every constructor that reads the server (a pool included) on an `allkeys-lru` server warns
/// once, naming the policy.
async fn an_evicting_policy_is_warned_about_once_per_backend<C: Client>() {
    if !redis_available() {
        return;
    }
    let server =
        RedisServer::builder().config("maxmemory-policy allkeys-lru").spawn().expect("spawn");
    let url = server.url();
    let mut first = None;
    for (how, backend) in C::constructors(&url, ConnectOptions::new()) {
        let (backend, warnings) = with_warnings(backend).await;
        let backend = backend.unwrap_or_else(|e| panic!("{how}: a warning, not a refusal: {e}"));
        assert_eq!(backend.policy(), Some("allkeys-lru"), "{how}: the policy was read");
        assert_eq!(warnings.len(), 1, "{how}: {warnings:?}");
        assert!(
            warnings[0].contains("maxmemory-policy allkeys-lru lets Redis evict held locks")
                && warnings[0].contains("set maxmemory-policy noeviction")
                && warnings[0].contains(&format!("127.0.0.1:{}", server.port())),
            "{how}: {warnings:?}"
        );
        first.get_or_insert(backend);
    }
    // Cloning or deriving a backend does not warn again.
    let backend = first.expect("a constructor");
    let (_, again) = with_warnings(async { backend.clone().unfenced() }).await;
    assert!(again.is_empty(), "{again:?}");
}

async fn refuse_names_the_policy_and_the_accessor_shows_it<C: Client>() {
    if !redis_available() {
        return;
    }
    for policy in ["allkeys-lru", "volatile-ttl"] {
        let server = RedisServer::builder()
            .config(format!("maxmemory-policy {policy}"))
            .spawn()
            .expect("spawn");
        let url = server.url();
        for (how, warned) in C::constructors(&url, ConnectOptions::new()) {
            assert_eq!(warned.await.expect("warn mode connects").policy(), Some(policy), "{how}");
        }
        for (how, refused) in C::constructors(&url, refuse()) {
            let e = refused.await.expect_err("an evicting server is refused");
            assert_eq!(e.kind(), BackendErrorKind::Config, "{how}: {e}");
            assert!(!e.is_temporary(), "{how}: {e}");
            let expected = format!("maxmemory-policy {policy} lets Redis evict held locks");
            assert!(e.message().contains(&expected), "{how}: {e}");
            assert!(e.message().contains("noeviction"), "{how}: {e}");
        }
        let off = ConnectOptions::new().eviction(EvictionCheck::Off);
        for (how, backend) in C::constructors(&url, off) {
            let (off, warnings) = with_warnings(backend).await;
            let off = off.expect("the check is off");
            assert_eq!((off.policy(), warnings.len()), (None, 0), "{how}: {warnings:?}");
        }
    }
}

async fn noeviction_is_accepted_quietly<C: Client>() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::spawn().expect("spawn");
    for (how, strict) in C::constructors(&server.url(), refuse()) {
        let (strict, warnings) = with_warnings(strict).await;
        assert!(warnings.is_empty(), "{how}: {warnings:?}");
        let strict = strict.expect("noeviction is accepted");
        assert_eq!(strict.policy(), Some("noeviction"), "{how}");
        assert!(strict.endpoint().is_some_and(|e| e.contains("run_id")), "{how}");
    }
}

/// A user who may run neither `INFO` nor `CONFIG` connects without a word, even when refusing,
/// and the policy is unknown.
async fn a_user_without_info_falls_back_quietly<C: Client>() {
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
    for (how, backend) in C::constructors(&url, refuse()) {
        let (backend, warnings) = with_warnings(backend).await;
        assert!(warnings.is_empty(), "{how}: {warnings:?}");
        let backend = backend.expect("an unknown policy is accepted");
        assert_eq!(backend.policy(), None, "{how}");
        let locks = LockManager::new(backend);
        let guard = locks
            .try_lock("evict:acl", std::time::Duration::from_secs(5))
            .await
            .expect("the user locks")
            .expect("free");
        guard.release().await.expect("release");
    }
}

/// On a cluster, every primary is read: one primary with an evicting policy is enough, and
/// named.
async fn a_cluster_primary_that_evicts_is_found<C: Client>() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    let connect = |options| C::connect_cluster(cluster.urls(), options);
    let (clean, warnings) = with_warnings(connect(ConnectOptions::new())).await;
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(clean.expect("connect").policy(), Some("noeviction"));

    let evicting = &cluster.nodes()[2];
    let mut admin = evicting.admin().expect("admin");
    let set = admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]).expect("set");
    assert!(!set.is_error(), "{set:?}");
    let (warned, warnings) = with_warnings(connect(ConnectOptions::new())).await;
    assert_eq!(warned.expect("a warning, not a refusal").policy(), Some("volatile-lru"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let primary = format!("127.0.0.1:{}", evicting.port());
    assert!(warnings[0].contains("volatile-lru") && warnings[0].contains(&primary), "{warnings:?}");
    let refused = connect(refuse()).await.expect_err("an evicting primary is refused");
    assert_eq!(refused.kind(), BackendErrorKind::Config, "{refused}");
    assert!(refused.message().contains("volatile-lru"), "{refused}");
}
