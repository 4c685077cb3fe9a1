//! lock-redis on a Sentinel deployment (a master, a replica, three sentinels): the whole
//! conformance suite through the sentinels, the `redis+sentinel://` URL, and failovers after
//! which locks and release notification work on the new master.

use std::time::{Duration, Instant};

use lock_redis::redis::sentinel::{SentinelClient, SentinelServerType};
use lock_redis::{BackendErrorKind, LockBackend, LockManager, RedisBackend, RetryPolicy};
use lock_testkit::server::{self, RedisSentinel, RedisServer};

lock_testkit::conformance_suite!(sentinel, maybe: async {
    let deployment = server::shared_sentinel()?;
    let backend = RedisBackend::connect_sentinel(deployment.sentinel_addrs(), deployment.service())
        .await
        .expect("connect through the sentinels");
    Some(backend)
});

/// How long a failover may take before locks work again on the new master. Measured here:
/// about 1 s after `SENTINEL FAILOVER`, about 3 s after the master is killed (the sentinels
/// wait `down-after-milliseconds` 1000 before they agree it is down).
const FAILOVER_BOUND: Duration = Duration::from_secs(10);

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("sentinel:{name}:{nanos:x}")
}

fn sentinel_url(deployment: &RedisSentinel, db: u32) -> String {
    let hosts: Vec<String> =
        deployment.sentinel_addrs().iter().map(|(host, port)| format!("{host}:{port}")).collect();
    format!("redis+sentinel://{}/{}/{db}", hosts.join(","), deployment.service())
}

/// The running server on `port` among the deployment's master and replica.
fn server_on(deployment: &RedisSentinel, port: u16) -> &RedisServer {
    [deployment.master(), deployment.replica()]
        .into_iter()
        .find(|s| s.port() == port)
        .expect("the master is the old master or the old replica")
}

/// Whether the lock key of `name` exists in database `db` of `server`.
fn key_exists(locks: &LockManager, server: &RedisServer, db: u32, name: &str) -> bool {
    let key = locks.key(name).expect("key");
    let mut admin = server.admin().expect("admin");
    admin.cmd(&["SELECT", &db.to_string()]).expect("select");
    let exists = admin.cmd_bytes(&[b"EXISTS", key.as_bytes()]).expect("exists");
    exists.int() == Some(1)
}

/// Tries locks until one is acquired (and released) on a master other than the one on
/// `old_port` (`None`: on any master), and returns how long that took. Right after a failover
/// the old master may still take writes for a moment, until the sentinels turn it into a
/// replica (which then drops what it took): such a grant does not count.
async fn until_locks_work(
    locks: &LockManager,
    deployment: &RedisSentinel,
    old_port: Option<u16>,
) -> Duration {
    let started = Instant::now();
    let mut last = String::new();
    loop {
        assert!(
            started.elapsed() < FAILOVER_BOUND,
            "locks did not work on a new master within {FAILOVER_BOUND:?}: {last}"
        );
        let name = unique("probe");
        match locks.try_lock(&name, Duration::from_secs(10)).await {
            Ok(Some(guard)) => {
                let master = deployment.current_master_port().ok();
                let there = master
                    .filter(|port| Some(*port) != old_port)
                    .is_some_and(|port| key_exists(locks, server_on(deployment, port), 0, &name));
                let _ = guard.release().await;
                if there {
                    return started.elapsed();
                }
                let roles: Vec<String> = [deployment.master(), deployment.replica()]
                    .iter()
                    .map(|s| {
                        let role = s.admin().and_then(|mut a| a.cmd(&["ROLE"]));
                        format!("{}: {}", s.port(), role.map(|r| r.to_string()).unwrap_or_default())
                    })
                    .collect();
                last = format!(
                    "granted, but not on a new master (sentinels name {master:?}, old {old_port:?}, roles {roles:?})"
                );
            }
            Ok(None) => panic!("{name} is held by nobody"),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_url_reaches_the_master_and_its_database() {
    let Some(deployment) = server::shared_sentinel() else { return };
    let backend =
        RedisBackend::connect(&sentinel_url(deployment, 3)).await.expect("connect by URL");
    assert!(backend.info().capabilities.release_notify);
    let locks = LockManager::new(backend);
    let name = unique("url");
    let guard =
        locks.try_lock(&name, Duration::from_secs(10)).await.expect("acquire").expect("free");
    let master = server_on(deployment, deployment.current_master_port().expect("master"));
    assert!(key_exists(&locks, master, 3, &name), "the lock is not in database 3 of the master");
    assert!(!key_exists(&locks, master, 0, &name), "the lock is in database 0");
    guard.release().await.expect("release");
}

/// The commands' connection killed on the master (no failover): the next call must find a
/// broken connection, ask the sentinels, and run on a new connection to the same master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_to_the_master_is_replaced_at_once() {
    let Some(deployment) = server::shared_sentinel() else { return };
    let backend = RedisBackend::connect_sentinel(deployment.sentinel_addrs(), deployment.service())
        .await
        .expect("connect");
    let id = backend.query(lock_redis::redis::cmd("CLIENT").arg("ID")).await.expect("CLIENT ID");
    let lock_redis::redis::Value::Int(id) = id else { panic!("CLIENT ID answered {id:?}") };
    let master = server_on(deployment, deployment.current_master_port().expect("master"));
    let killed = master.admin().expect("admin").cmd(&["CLIENT", "KILL", "ID", &id.to_string()]);
    assert_eq!(killed.expect("kill").int(), Some(1), "our connection was not killed");
    let locks = LockManager::new(backend);
    let name = unique("killed");
    let guard = locks
        .try_lock(&name, Duration::from_secs(10))
        .await
        .expect("the first call after the kill");
    guard.expect("free").release().await.expect("release");
}

/// WAIT mode through Sentinel: the replica confirms each acquire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_mode_works_on_the_sentinel_master() {
    let Some(deployment) = server::shared_sentinel() else { return };
    let backend = RedisBackend::connect_sentinel(deployment.sentinel_addrs(), deployment.service())
        .await
        .expect("connect")
        .with_wait(1, Duration::from_millis(400))
        .expect("WAIT mode");
    let locks = LockManager::new(backend);
    let name = unique("wait");
    let guard = locks.try_lock(&name, Duration::from_secs(10)).await.expect("confirmed");
    let guard = guard.expect("free");
    guard.extend(Duration::from_secs(10)).await.expect("extension confirmed");
    guard.release().await.expect("release");
}

/// The password in a `redis+sentinel://` URL is the master's: with it locks work, without it
/// the master refuses (an `Auth` error, not a hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_url_carries_the_masters_password() {
    if !server::redis_available() {
        return;
    }
    let deployment = RedisSentinel::spawn_with_password("s3cret").expect("a deployment");
    let url = sentinel_url(&deployment, 0);
    let with = url.replacen("redis+sentinel://", "redis+sentinel://:s3cret@", 1);
    let locks = LockManager::new(RedisBackend::connect(&with).await.expect("connect"));
    let guard = locks.try_lock(&unique("pw"), Duration::from_secs(10)).await.expect("acquire");
    guard.expect("free").release().await.expect("release");
    let started = Instant::now();
    let e = RedisBackend::connect(&url).await.expect_err("no password");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(e.kind(), BackendErrorKind::Auth, "{e}");
}

#[tokio::test]
async fn a_sentinel_client_for_replicas_is_refused() {
    let Some(deployment) = server::shared_sentinel() else { return };
    let client = SentinelClient::build(
        deployment.sentinel_addrs(),
        deployment.service(),
        None,
        SentinelServerType::Replica,
    )
    .expect("client");
    let e = RedisBackend::from_sentinel_client(client).await.expect_err("replicas refused");
    assert_eq!(e.kind(), BackendErrorKind::Config, "{e}");
    assert!(e.to_string().contains("SentinelServerType::Master"), "{e}");
}

#[tokio::test]
async fn an_unknown_service_fails_at_connect() {
    let Some(deployment) = server::shared_sentinel() else { return };
    let started = Instant::now();
    let e = RedisBackend::connect_sentinel(deployment.sentinel_addrs(), "no-such-master")
        .await
        .expect_err("no such service");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(e.kind(), BackendErrorKind::Unavailable, "{e}");
    assert!(e.to_string().contains("not found"), "{e}");
}

/// Two managers on `deployment`, each with its own backend (so its own subscriber).
async fn two_managers(deployment: &RedisSentinel) -> (LockManager, LockManager) {
    let mut managers = Vec::new();
    for _ in 0..2 {
        let backend =
            RedisBackend::connect_sentinel(deployment.sentinel_addrs(), deployment.service())
                .await
                .expect("connect");
        managers.push(LockManager::new(backend));
    }
    let waiter = managers.pop().expect("two");
    (managers.pop().expect("two"), waiter)
}

/// `holder` takes a lock and `waiter` waits for it; `holder` releases it. The waiter's retry
/// policy waits 10 s between looks and the holder's ttl is 30 s, so only a release
/// notification wakes it within 2 s. When `on` is given, the lock must be on the master at that
/// port. Returns how long after the release the waiter had the lock.
async fn waiter_is_woken(
    holder: &LockManager,
    waiter: &LockManager,
    deployment: &RedisSentinel,
    on: Option<u16>,
) -> Duration {
    let ttl = Duration::from_secs(30);
    let name = unique("wake");
    let held = holder.try_lock(&name, ttl).await.expect("acquire").expect("free");
    if let Some(port) = on {
        assert!(key_exists(holder, server_on(deployment, port), 0, &name), "not on the master");
    }
    let waiting = {
        let (waiter, name) = (waiter.clone(), name.clone());
        let patient = RetryPolicy::fixed(Duration::from_secs(10));
        tokio::spawn(async move {
            waiter.lock(&name).ttl(ttl).retry(patient).wait(Duration::from_secs(20)).acquire().await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    held.release().await.expect("release");
    let released = Instant::now();
    let guard = waiting.await.expect("task").expect("woken");
    let woken = released.elapsed();
    assert!(woken < Duration::from_secs(2), "woken {woken:?} after the release, not by it");
    guard.release().await.expect("release");
    woken
}

/// `SENTINEL FAILOVER`: the replica is promoted, and the old master, still running, takes
/// writes until the sentinels turn it into a replica seconds later. Commands and release
/// notification must move to the new master when the sentinels announce it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_notification_follow_the_master_after_sentinel_failover() {
    if !server::redis_available() {
        return;
    }
    let deployment = RedisSentinel::spawn().expect("a Sentinel deployment");
    let (holder, waiter) = two_managers(&deployment).await;
    let old = deployment.current_master_port().expect("master");
    // A wake-up on the first master, so the waiter's subscriber connection is there.
    waiter_is_woken(&holder, &waiter, &deployment, Some(old)).await;

    let mut admin = deployment.sentinels()[0].admin().expect("sentinel admin");
    let reply = admin.cmd(&["SENTINEL", "FAILOVER", deployment.service()]).expect("failover");
    assert!(!reply.is_error(), "{reply}");
    let took = until_locks_work(&holder, &deployment, Some(old)).await;
    let new = deployment.current_master_port().expect("master");
    let woken = waiter_is_woken(&holder, &waiter, &deployment, Some(new)).await;
    println!(
        "SENTINEL FAILOVER: locks worked on the new master {took:?} after the command; a waiter \
         was woken {woken:?} after a release there"
    );
}

/// The master killed: the sentinels promote the replica after `down-after-milliseconds`. Locks
/// must work on the new master within [`FAILOVER_BOUND`], and a waiter must be woken by a
/// release there: its subscriber connection (which the kill ended) must reconnect to the new
/// master, not to the dead one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_is_followed_by_commands_and_release_notification() {
    if !server::redis_available() {
        return;
    }
    let deployment = RedisSentinel::spawn().expect("a Sentinel deployment");
    let (holder, waiter) = two_managers(&deployment).await;
    let old = deployment.current_master_port().expect("master");
    waiter_is_woken(&holder, &waiter, &deployment, Some(old)).await;
    assert_eq!(waiter.backend().endpoint(), holder.backend().endpoint());

    deployment.master().kill();
    let took = until_locks_work(&holder, &deployment, Some(old)).await;
    let new = deployment.current_master_port().expect("master");
    let woken = waiter_is_woken(&holder, &waiter, &deployment, Some(new)).await;
    println!(
        "master killed: locks worked on the new master {took:?} after the kill; a waiter was \
         woken {woken:?} after a release there"
    );
}
