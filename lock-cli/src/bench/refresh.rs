//! Refresh: 10,000 locks held with auto-refresh; losses, extends per second on the server,
//! resident memory per held lock, and the process's CPU. It runs first, in a fresh process,
//! so that memory other workloads freed cannot be reused and hide what the locks take.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lock_core::LockManager;
use lock_redis::RedisBackend;
use lock_testkit::server::AdminConn;

use super::report::Refresh;

const LOCKS: usize = 10_000;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// User plus system CPU time of this process.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 14th, stime 15th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every common configuration.
    Duration::from_millis(ticks * 10)
}

/// `evalsha` calls the server has run so far.
fn evalsha_calls(admin: &mut Option<AdminConn>) -> u64 {
    let Some(admin) = admin.as_mut() else { return 0 };
    let stats =
        admin.cmd(&["INFO", "commandstats"]).ok().and_then(|s| s.text()).unwrap_or_default();
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|v| v.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

pub(crate) async fn run(
    url: &str,
    mut admin: Option<AdminConn>,
    hold: Duration,
) -> Result<Refresh, String> {
    let ttl = if hold < Duration::from_secs(20) {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(10)
    };
    eprintln!("refresh: {LOCKS} locks, ttl {ttl:?}, held {hold:?}...");
    let locks = LockManager::new(RedisBackend::connect(url).await.map_err(err)?);
    let before = rss();
    let prefix = rand::random::<u32>();
    let guards: Vec<_> = futures_util::stream::iter(0..LOCKS)
        .map(|i| {
            let locks = locks.clone();
            async move {
                locks
                    .lock(format!("bench:r:{prefix:x}:{i}"))
                    .ttl(ttl)
                    .auto_refresh()
                    .acquire()
                    .await
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let guards = guards.into_iter().collect::<Result<Vec<_>, _>>().map_err(err)?;
    let held = rss();
    let (cpu_start, calls_start, started) = (cpu(), evalsha_calls(&mut admin), Instant::now());
    tokio::time::sleep(hold).await;
    let (cpu_used, calls, elapsed) =
        (cpu() - cpu_start, evalsha_calls(&mut admin) - calls_start, started.elapsed());
    let losses = guards.iter().filter(|g| !g.is_valid()).count() as u64;
    futures_util::stream::iter(guards)
        .for_each_concurrent(256, |g| async move { drop(g.release().await) })
        .await;
    Ok(Refresh {
        locks: LOCKS,
        losses,
        extends_per_s: calls as f64 / elapsed.as_secs_f64(),
        bytes_per_lock: held.saturating_sub(before) / LOCKS as u64,
        cpu_percent: 100.0 * cpu_used.as_secs_f64() / elapsed.as_secs_f64(),
        ttl_ms: ttl.as_millis() as u64,
        held_s: elapsed.as_secs_f64(),
    })
}
