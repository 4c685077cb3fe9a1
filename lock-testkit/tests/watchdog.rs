//! A test process that dies without dropping its servers (an abort, a `static` server) leaves
//! none behind: each server's watchdog kills it, whatever the server binary is called (a
//! `valkey-server`, say; the watchdog once matched `redis-server` only).
#![cfg(feature = "redis-server")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lock_testkit::server::{RedisServer, redis_available, server_binary};

const CHILD: &str = "LOCK_TESTKIT_WATCHDOG_CHILD";

/// Not a test on its own: the child process below, which starts a server and exits without
/// dropping it.
#[test]
fn watchdog_child_process() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let server = RedisServer::spawn().expect("spawn");
    println!("server pid {}", server.pid().expect("a pid"));
    std::process::exit(0);
}

#[test]
fn a_dead_test_process_leaves_no_server() {
    if !redis_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let renamed = dir.path().join("other-server");
    std::os::unix::fs::symlink(server_binary().expect("a server binary"), &renamed)
        .expect("symlink");
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["watchdog_child_process", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env(lock_testkit::server::SERVER_BIN_ENV, &renamed)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pid: u32 = stdout
        .lines()
        .find_map(|l| l.split("server pid ").nth(1))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid from the child: {stdout}"));
    let alive = |pid: u32| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        !status.is_empty() && !status.contains("State:\tZ")
    };
    let started = Instant::now();
    while alive(pid) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = alive(pid);
    if left {
        // Do not leave it behind either way.
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(!left, "server {pid} ({}) outlived its test process", Path::new(&renamed).display());
}
