//! The server harness itself: standalone, cluster and Sentinel come up, and the fault controls
//! do what they say.
#![cfg(feature = "redis-server")]

use std::time::Duration;

use lock_testkit::server::{RedisCluster, RedisSentinel, RedisServer, redis_available};

#[test]
fn standalone_pause_resume_kill_restart() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder()
        .aof(true)
        .debug_command(true)
        .unix_socket(true)
        .spawn()
        .expect("spawn");
    let mut admin = server.admin().expect("admin");
    assert_eq!(admin.cmd(&["SET", "k", "v"]).expect("set").text().as_deref(), Some("OK"));
    assert!(server.unix_socket().is_some_and(|p| p.exists()));

    server.pause().expect("pause");
    let started = std::time::Instant::now();
    let blocked = std::thread::spawn({
        let port = server.port();
        move || {
            lock_testkit::server::AdminConn::connect("127.0.0.1", port, None)
                .and_then(|mut c| c.cmd(&["PING"]))
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    server.resume().expect("resume");
    assert!(blocked.join().expect("join").is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "PING answered while the server was stopped"
    );

    let port = server.port();
    server.restart().expect("restart");
    assert_eq!(server.port(), port);
    let mut admin = server.admin().expect("admin after restart");
    assert_eq!(
        admin.cmd(&["GET", "k"]).expect("get").text().as_deref(),
        Some("v"),
        "AOF lost the key"
    );
    server.kill();
    assert!(!server.is_running());
    assert!(server.admin().is_err());
}

/// A restarted server is handed back only once it has loaded its data: Redis answers `INFO`
/// while it loads an AOF (and every data command with `-LOADING`), so a test that read a key
/// right after `restart` could see it missing (a CI run on a busy machine: "AOF lost the key").
#[test]
fn a_restart_returns_once_the_data_is_loaded() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder().aof(true).spawn().expect("spawn");
    let mut admin = server.admin().expect("admin");
    let chunk = vec![b'x'; 1 << 20];
    for i in 0..96 {
        let key = format!("big:{i}");
        let set = admin.cmd_bytes(&[b"SET", key.as_bytes(), &chunk]).expect("set");
        assert_eq!(set.text().as_deref(), Some("OK"));
    }
    for round in 0..3 {
        server.restart().expect("restart");
        let mut admin = server.admin().expect("admin after restart");
        let len = admin.cmd(&["STRLEN", "big:95"]).expect("strlen");
        assert_eq!(len.int(), Some(1 << 20), "round {round}: answered {len:?} after restart");
    }
}

#[test]
fn password_and_acl_users() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder()
        .password("s3cret")
        .user("locker", "pw", "~lock:* -@all +get")
        .spawn()
        .expect("spawn");
    assert!(server.url().contains(":s3cret@"));
    assert!(server.url_for("locker").is_some_and(|u| u.starts_with("redis://locker:pw@")));
    let mut locker = lock_testkit::server::AdminConn::connect(
        "127.0.0.1",
        server.port(),
        Some(("locker", "pw")),
    )
    .expect("auth");
    assert!(!locker.cmd(&["GET", "lock:x"]).expect("get").is_error());
    assert!(
        locker.cmd(&["GET", "other"]).expect("get").is_error(),
        "ACL let a key outside ~lock:* through"
    );
}

#[test]
fn cluster_comes_up_and_routes_slots() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    assert_eq!(cluster.nodes().len(), 3);
    let owner = cluster.node_for_slot(12182).expect("owner of foo's slot");
    let mut admin = owner.admin().expect("admin");
    assert_eq!(admin.cmd(&["SET", "foo", "1"]).expect("set").text().as_deref(), Some("OK"));
}

#[test]
fn sentinel_knows_its_master() {
    if !redis_available() {
        return;
    }
    let sentinel = RedisSentinel::spawn().expect("sentinel");
    assert_eq!(sentinel.current_master_port().expect("master"), sentinel.master().port());
    assert_eq!(sentinel.sentinels().len(), 3);
}
