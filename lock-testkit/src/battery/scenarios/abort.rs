//! B9: a child process takes ten locks (half auto-refreshed) and aborts. Each lock can be taken
//! again once its ttl runs out: not before (mutual exclusion), and not much after (no leak).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lock_core::{LockManager, RetryPolicy};

use super::super::report::ScenarioReport;
use super::super::runner::CHILD_ENV;
use super::common::{io, report};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

const LOCKS: usize = 10;
const TTL: Duration = Duration::from_millis(1_500);
/// What the child prints once it holds every lock.
const HELD: &str = "LOCK-BATTERY-CHILD-HELD";

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let prefix = format!("lock:battery:{:016x}:", rand::random::<u64>());
    let exe = std::env::current_exe().map_err(io)?;
    let mut child = Command::new(exe)
        .args(["battery_child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}|{prefix}|{}", server.url(), TTL.as_millis()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(io)?;
    let stdout = child.stdout.take().ok_or_else(|| Failure::new("no child stdout", "B9"))?;
    let held = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).any(|line| line.contains(HELD))
    });
    let held = tokio::time::timeout(Duration::from_secs(20), held).await;
    check!(matches!(held, Ok(Ok(true))), "the child never reported holding its locks");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .map_err(|e| Failure::new(e.to_string(), "B9"))?;
    check!(status.is_ok_and(|s| !s.success()), "the child did not abort");

    let backend = (c.standalone)(server.url()).await?;
    let mut report =
        report("B9 process abort holding 10 locks", std::slice::from_ref(&backend), true);
    let locks = LockManager::builder_shared(backend)
        .prefix(prefix.as_bytes())
        .retry(RetryPolicy::fixed(Duration::from_millis(20)))
        .build()?;
    let mut waiters = Vec::new();
    for i in 0..LOCKS {
        let locks = locks.clone();
        waiters.push(tokio::spawn(async move {
            let name = format!("abort-{i}");
            let info = locks.info(&name).await?;
            let free_at =
                Instant::now() + info.as_ref().and_then(|i| i.ttl_remaining).unwrap_or_default();
            let guard =
                locks.lock(&name).ttl(TTL).wait(TTL + Duration::from_secs(3)).acquire().await?;
            let got = Instant::now();
            guard.release().await?;
            Ok::<_, lock_core::Error>((info.is_some(), free_at, got))
        }));
    }
    let mut latest = Duration::ZERO;
    for waiter in waiters {
        let (was_held, free_at, got) =
            waiter.await.map_err(|e| Failure::new(e.to_string(), "B9"))??;
        check!(was_held, "a lock of the aborted child was already gone");
        check!(
            got + Duration::from_millis(30) >= free_at,
            "a lock was re-acquired {:?} before its ttl ran out",
            free_at - got
        );
        let late = got.saturating_duration_since(free_at);
        check!(
            late <= Duration::from_millis(500),
            "a lock was re-acquired only {late:?} after its ttl ran out"
        );
        latest = latest.max(late);
        report.critical_sections += 1;
    }
    report.recovery_ms = Some(latest.as_millis() as u64);
    Ok(report)
}

/// The child's part: take the locks, say so, and abort.
pub(crate) async fn child(c: &Connectors, spec: &str) {
    let mut parts = spec.split('|');
    let (Some(url), Some(prefix), Some(ttl)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let ttl = Duration::from_millis(ttl.parse().unwrap_or(1_500));
    let Ok(backend) = (c.standalone)(url.to_owned()).await else { return };
    let Ok(locks) = LockManager::builder_shared(backend).prefix(prefix.as_bytes()).build() else {
        return;
    };
    let mut guards = Vec::new();
    for i in 0..LOCKS {
        let request = locks.lock(format!("abort-{i}")).ttl(ttl);
        let request = if i % 2 == 0 { request.auto_refresh() } else { request };
        if let Ok(guard) = request.acquire().await {
            guards.push(guard);
        }
    }
    if guards.len() == LOCKS {
        // libtest may print the test's name on the same line first.
        println!("\n{HELD}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::process::abort();
}
