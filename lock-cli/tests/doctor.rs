//! `lockctl doctor` against real servers: what it flags, its JSON, its exit code.

// This binary runs `lockctl` only; the rest of `support` serves `ops.rs`.
#[allow(dead_code)]
mod support;

use lock_testkit::redis_checks::LEAST_PRIVILEGE_RULES;
use lock_testkit::server::{RedisCluster, RedisServer, ReplicaPair, redis_available};
use serde_json::Value;
use support::lockctl;

/// The finding `check` of the server at `port` in a `doctor --json` report.
fn finding<'a>(report: &'a Value, port: u16, check: &str) -> &'a Value {
    let address = format!("127.0.0.1:{port}");
    let servers = report["servers"].as_array().expect("servers");
    let server = servers
        .iter()
        .find(|s| s["address"] == address.as_str())
        .unwrap_or_else(|| panic!("no {address} in {report}"));
    let checks = server["checks"].as_array().expect("checks");
    checks
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check} for {address} in {report}"))
}

fn status<'a>(report: &'a Value, port: u16, check: &str) -> &'a str {
    finding(report, port, check)["status"].as_str().unwrap_or_default()
}

#[test]
fn a_safe_server_passes_and_exits_0() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder().aof(true).spawn().expect("server");
    let run = lockctl(&["doctor", "--url", &server.url(), "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!((report["flagged"].as_u64(), report["unknown"].as_u64()), (Some(0), Some(0)));
    let port = server.port();
    for check in ["version", "maxmemory-policy", "persistence", "replication"] {
        assert_eq!(status(&report, port, check), "ok", "{check}: {report}");
    }
    assert_eq!(finding(&report, port, "maxmemory-policy")["value"], "noeviction");
    assert_eq!(
        finding(&report, port, "persistence")["value"],
        "appendonly yes, appendfsync always"
    );
    let version = finding(&report, port, "version")["value"].as_str().unwrap_or_default();
    assert!(version.chars().next().is_some_and(|c| c.is_ascii_digit()), "{report}");

    let text = lockctl(&["doctor", "--url", &server.url()]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.starts_with(&format!("127.0.0.1:{port}\n")), "{text:?}");
    assert!(text.stdout.contains("noeviction") && !text.stdout.contains("FLAG"), "{text:?}");
    assert!(text.stdout.ends_with("nothing flagged on 1 server\n"), "{text:?}");
}

#[test]
fn eviction_and_a_lossy_persistence_are_flagged() {
    if !redis_available() {
        return;
    }
    let server =
        RedisServer::builder().config("maxmemory-policy allkeys-lru").spawn().expect("server");
    let port = server.port();
    let run = lockctl(&["doctor", "--url", &server.url(), "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    assert_eq!(report["flagged"], 2, "{report}");
    assert_eq!(status(&report, port, "maxmemory-policy"), "flag");
    let eviction = finding(&report, port, "maxmemory-policy");
    assert_eq!(eviction["value"], "allkeys-lru");
    assert!(eviction["detail"].as_str().is_some_and(|d| d.contains("evict held locks")));
    assert_eq!(status(&report, port, "persistence"), "flag");
    assert_eq!(finding(&report, port, "persistence")["value"], "appendonly no");
    let text = lockctl(&["doctor", "--url", &server.url()]);
    assert_eq!(text.code, 1, "{text:?}");
    let line = text.stdout.lines().find(|l| l.contains("maxmemory-policy")).unwrap_or_default();
    assert!(line.trim_start().starts_with("FLAG") && line.contains("allkeys-lru"), "{text:?}");
    assert!(text.stdout.ends_with("2 flagged on 1 server\n"), "{text:?}");

    let everysec = RedisServer::builder()
        .aof(true)
        .config("appendfsync everysec")
        .config("maxmemory-policy volatile-ttl")
        .spawn()
        .expect("server");
    let report = lockctl(&["doctor", "--url", &everysec.url(), "--json"]).json();
    let port = everysec.port();
    assert_eq!(
        finding(&report, port, "persistence")["value"],
        "appendonly yes, appendfsync everysec"
    );
    assert_eq!(status(&report, port, "persistence"), "flag");
    assert_eq!(status(&report, port, "maxmemory-policy"), "flag", "volatile-* evicts locks too");
}

#[test]
fn replicas_are_noted_and_a_replica_is_flagged() {
    if !redis_available() {
        return;
    }
    let pair = ReplicaPair::spawn().expect("pair");
    let primary = pair.primary.port();
    let mut admin = pair.primary.admin().expect("admin");
    for (name, value) in [("appendonly", "yes"), ("appendfsync", "always")] {
        assert!(!admin.cmd(&["CONFIG", "SET", name, value]).expect("config set").is_error());
    }
    let run = lockctl(&["doctor", "--url", &pair.primary.url(), "--json"]);
    assert_eq!(run.code, 0, "a note is not a flag: {run:?}");
    let report = run.json();
    let replication = finding(&report, primary, "replication");
    assert_eq!(
        (replication["status"].as_str(), replication["value"].as_str()),
        (Some("note"), Some("master, 1 replica"))
    );
    assert!(replication["detail"].as_str().is_some_and(|d| d.contains("WAIT")), "{report}");

    let on_replica = lockctl(&["doctor", "--url", &pair.replica.url(), "--json"]);
    assert_eq!(on_replica.code, 1, "{on_replica:?}");
    assert_eq!(status(&on_replica.json(), pair.replica.port(), "replication"), "flag");
}

#[test]
fn a_user_without_info_or_config_sees_unknowns() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::builder()
        .config("maxmemory-policy allkeys-lru")
        .user("locker", "locker-pw", LEAST_PRIVILEGE_RULES)
        .spawn()
        .expect("server");
    let url = server.url_for("locker").expect("a user URL");
    let run = lockctl(&["doctor", "--url", &url, "--json"]);
    assert_eq!(run.code, 0, "unknown is not flagged: {run:?}");
    let report = run.json();
    assert_eq!((report["flagged"].as_u64(), report["unknown"].as_u64()), (Some(0), Some(4)));
    assert_eq!(status(&report, server.port(), "maxmemory-policy"), "unknown");
    assert!(!run.stdout.contains("locker-pw"), "{run:?}");
    let text = lockctl(&["doctor", "--url", &url]);
    assert!(text.stdout.ends_with("nothing flagged on 1 server, 4 unknown\n"), "{text:?}");
}

#[test]
fn every_cluster_master_is_checked() {
    if !redis_available() {
        return;
    }
    let cluster = RedisCluster::spawn(3, 0).expect("cluster");
    for node in cluster.nodes() {
        let mut admin = node.admin().expect("admin");
        for (name, value) in [("appendonly", "yes"), ("appendfsync", "always")] {
            assert!(!admin.cmd(&["CONFIG", "SET", name, value]).expect("config set").is_error());
        }
    }
    let url = format!("redis-cluster://127.0.0.1:{}", cluster.nodes()[0].port());
    let clean = lockctl(&["doctor", "--url", &url, "--json"]);
    assert_eq!(clean.code, 0, "{clean:?}");
    assert_eq!(clean.json()["servers"].as_array().map(Vec::len), Some(3), "{clean:?}");

    let evicting = cluster.nodes()[2].port();
    let mut admin = cluster.nodes()[2].admin().expect("admin");
    admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]).expect("config set");
    let run = lockctl(&["doctor", "--url", &url, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    assert_eq!(report["flagged"], 1, "{report}");
    assert_eq!(status(&report, evicting, "maxmemory-policy"), "flag");
    assert_eq!(status(&report, cluster.nodes()[0].port(), "maxmemory-policy"), "ok");
}

#[test]
fn an_unreachable_server_is_one_error_line() {
    if !redis_available() {
        return;
    }
    let down = lockctl(&["doctor", "--url", "redis://127.0.0.1:1/"]);
    assert_eq!(
        down.error(),
        "cannot connect to 127.0.0.1:1: connection refused — is Redis running?"
    );
}
