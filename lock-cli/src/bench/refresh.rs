//! Refresh: 100,000 locks (10,000 with `--quick`) held with auto-refresh at a 3 s ttl; losses,
//! locks extended and script calls per second on the server (extends go out in batches),
//! resident memory per held lock, and the CPU of the process and of the server. It runs first,
//! in a fresh process, so that memory other workloads freed cannot be reused and hide what the
//! locks take.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lock_core::LockManager;
use lock_redis::RedisBackend;
use lock_testkit::server::AdminConn;

use super::report::Refresh;

/// Locks held in a full run, and with `--quick`.
const LOCKS: usize = 100_000;
const QUICK_LOCKS: usize = 10_000;

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

/// What the server has done so far: `evalsha` calls, `pexpire` calls (one per lock extended,
/// inside the scripts) and its CPU time (user plus system).
#[derive(Clone, Copy, Default)]
struct ServerSide {
    scripts: u64,
    extends: u64,
    cpu: f64,
}

fn server_side(admin: &mut Option<AdminConn>) -> ServerSide {
    let Some(admin) = admin.as_mut() else { return ServerSide::default() };
    let calls = admin.command_calls().unwrap_or_default();
    let info = admin.cmd(&["INFO", "cpu"]).ok().and_then(|s| s.text()).unwrap_or_default();
    let seconds = |field: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    ServerSide {
        scripts: calls.get("evalsha").copied().unwrap_or(0),
        extends: calls.get("pexpire").copied().unwrap_or(0),
        cpu: seconds("used_cpu_user") + seconds("used_cpu_sys"),
    }
}

pub(crate) async fn run(
    url: &str,
    mut admin: Option<AdminConn>,
    hold: Duration,
) -> Result<Refresh, String> {
    let ttl = Duration::from_secs(3);
    let count = if hold < Duration::from_secs(20) { QUICK_LOCKS } else { LOCKS };
    eprintln!("refresh: {count} locks, ttl {ttl:?}, held {hold:?}...");
    let locks = LockManager::new(RedisBackend::connect(url).await.map_err(err)?);
    let before = rss();
    let prefix = rand::random::<u32>();
    let guards: Vec<_> = futures_util::stream::iter(0..count)
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
    let (cpu_start, server_start, started) = (cpu(), server_side(&mut admin), Instant::now());
    tokio::time::sleep(hold).await;
    let (cpu_used, server_end, elapsed) =
        (cpu() - cpu_start, server_side(&mut admin), started.elapsed());
    let per_s = |n: u64| n as f64 / elapsed.as_secs_f64();
    let losses = guards.iter().filter(|g| !g.is_valid()).count() as u64;
    futures_util::stream::iter(guards)
        .for_each_concurrent(256, |g| async move { drop(g.release().await) })
        .await;
    Ok(Refresh {
        locks: count,
        losses,
        extends_per_s: per_s(server_end.extends - server_start.extends),
        script_calls_per_s: per_s(server_end.scripts - server_start.scripts),
        bytes_per_lock: held.saturating_sub(before) / count as u64,
        cpu_percent: 100.0 * cpu_used.as_secs_f64() / elapsed.as_secs_f64(),
        server_cpu_percent: 100.0 * (server_end.cpu - server_start.cpu) / elapsed.as_secs_f64(),
        ttl_ms: ttl.as_millis() as u64,
        held_s: elapsed.as_secs_f64(),
    })
}
