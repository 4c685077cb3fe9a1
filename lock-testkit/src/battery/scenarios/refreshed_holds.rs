//! B17: auto-refreshed locks held for 5 to 10 ttls (ttl 400 ms) by several contenders per key,
//! while faults come every 600 ms in turn: every client connection killed, the reply to a
//! command lost after the server applied it, the server stopped (SIGSTOP) or paused (`CLIENT
//! PAUSE … WRITE`) for 150 ms (less than the validity), and the server killed and restarted
//! with AOF `appendfsync always`. Inside the timing model.
//!
//! Each holder looks at its guard as it works (every eighth of a ttl), so its claimed interval
//! runs to the last deadline the guard reported while valid: a refresher that moved the
//! deadline without extending the key would show up as overlaps. The run also checks that claims
//! did outlast their first validity window many times over, and that for each kind of fault at
//! least one refreshed hold lasted through it and finished its section.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::super::quiesce::leftovers;
use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io};
use crate::check;
use crate::failure::Failure;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

const TTL: Duration = Duration::from_millis(400);
/// A fault every this long, the kinds in turn.
const FAULT_EVERY: Duration = Duration::from_millis(600);
/// How long the server is stopped or paused: well inside the validity (about 394 ms).
const STALL: Duration = Duration::from_millis(150);

/// The per-PR run: 24 s, 3 keys with 3 contenders each.
pub(crate) async fn short(c: &Connectors) -> Result<ScenarioReport, Failure> {
    holds(c, "B17 refreshed holds of 5-10 ttls under faults", Duration::from_secs(24), 3, 3).await
}

/// The long run (`LOCK_BATTERY_FULL=1`): 120 s, 4 keys with 4 contenders each.
pub(crate) async fn long(c: &Connectors) -> Result<ScenarioReport, Failure> {
    holds(
        c,
        "B17b refreshed holds of 5-10 ttls under faults, 120 s",
        Duration::from_secs(120),
        4,
        4,
    )
    .await
}

/// The fault kinds, in the order they come.
const KINDS: [&str; 5] =
    ["connections killed", "reply lost", "SIGSTOP 150 ms", "CLIENT PAUSE 150 WRITE", "AOF restart"];

async fn holds(
    c: &Connectors,
    name: &str,
    length: Duration,
    keys: usize,
    contenders: usize,
) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::builder().aof(true).spawn().map_err(io)?);
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B17"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let mut report = None;
    let mut groups = Vec::new();
    for _ in 0..keys {
        let mut workload = Workload::new(contenders, usize::MAX, TTL);
        workload.refresh_every = 1;
        workload.hold_min = TTL * 5;
        workload.hold = TTL * 10;
        let backends = clients(c, &proxy.url(), contenders).await?;
        report.get_or_insert_with(|| super::common::report(name, &backends, true));
        let run = Arc::new(Run::default());
        let task = tokio::spawn({
            let (workload, run) = (workload.clone(), run.clone());
            async move { run_clients(&workload, backends, run).await }
        });
        groups.push((workload, run, task));
    }
    let mut report = report.unwrap_or_default();

    let mut faults = [0u64; KINDS.len()];
    // When each fault took effect, on each key's history clock.
    let mut struck: Vec<(usize, Vec<Duration>)> = Vec::new();
    let end = Instant::now() + length;
    let mut turn = 0;
    while Instant::now() < end {
        tokio::time::sleep(FAULT_EVERY).await;
        let kind = turn % KINDS.len();
        turn += 1;
        let done = match kind {
            0 => {
                let server = server.clone();
                tokio::task::spawn_blocking(move || {
                    let mut admin = server.admin()?;
                    for kind in ["normal", "pubsub"] {
                        admin.cmd(&["CLIENT", "KILL", "TYPE", kind, "SKIPME", "yes"])?;
                    }
                    Ok::<_, std::io::Error>(())
                })
                .await
                .map_err(|e| Failure::new(e.to_string(), "B17"))?
                .is_ok()
            }
            1 => {
                let before = proxy.replies_dropped();
                proxy.drop_reply_to_command(rand::random_range(1..=4));
                tokio::time::sleep(Duration::from_millis(200)).await;
                proxy.drop_reply_to_command(0);
                proxy.replies_dropped() > before
            }
            2 => {
                let stopped = server.pause().is_ok();
                tokio::time::sleep(STALL).await;
                server.resume().is_ok() && stopped
            }
            3 => {
                let server = server.clone();
                tokio::task::spawn_blocking(move || {
                    server.admin()?.cmd(&["CLIENT", "PAUSE", "150", "WRITE"])
                })
                .await
                .map_err(|e| Failure::new(e.to_string(), "B17"))?
                .is_ok_and(|r| !r.is_error())
            }
            _ => {
                let server = server.clone();
                tokio::task::spawn_blocking(move || server.restart())
                    .await
                    .map_err(|e| Failure::new(e.to_string(), "B17"))?
                    .is_ok()
            }
        };
        faults[kind] += u64::from(done);
        if done {
            struck.push((kind, groups.iter().map(|(_, run, _)| run.history.now()).collect()));
        }
    }
    for (_, run, _) in &groups {
        run.stop.store(true, Ordering::SeqCst);
    }
    let mut long_holds = 0;
    let mut refreshed = 0;
    // Per kind: faults that struck inside a claim whose holder went on to finish its section.
    let mut survived = [0u64; KINDS.len()];
    for (g, (workload, run, task)) in groups.iter_mut().enumerate() {
        let _ = task.await;
        let mut part = ScenarioReport::default();
        run.fill(&mut part);
        add(&mut report, &part);
        for a in run.history.acquisitions() {
            let (start, end) = a.claim();
            // The deadline at acquisition is about one ttl away; the claim reaching 5 ttls
            // means the guard reported at least a dozen refreshes.
            if end.saturating_sub(start) >= workload.hold_min {
                long_holds += 1;
            }
            if a.deadline.saturating_sub(a.ok) > TTL * 2 {
                refreshed += 1;
            }
            if a.lost.is_none() {
                for (kind, at) in &struck {
                    if (start..end).contains(&at[g]) {
                        survived[*kind] += 1;
                    }
                }
            }
        }
    }
    proxy.heal();
    tokio::time::sleep(TTL + Duration::from_millis(300)).await;
    for (workload, _, _) in &groups {
        let (keys, channels) = leftovers(&[&server], &workload.prefix)?;
        report.leaked_keys += keys;
        report.leaked_channels += channels;
    }
    println!(
        "{name}: faults (taking effect / held through by a hold that finished) {}; {long_holds} claims of at least 5 ttls, {refreshed} with a deadline moved past 2 ttls",
        (0..KINDS.len())
            .map(|k| format!("{} {}/{}", KINDS[k], faults[k], survived[k]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (k, kind) in KINDS.iter().enumerate() {
        check!(
            survived[k] > 0,
            "no refreshed hold lasted through a `{kind}` ({} took effect): {report}",
            faults[k]
        );
    }
    inside_model(&report)?;
    check!(
        long_holds >= keys as u64 * 2,
        "only {long_holds} claims lasted 5 ttls: the refresher was not exercised: {report}"
    );
    drop(proxy);
    Ok(report)
}

/// Adds the figures of one key's run to the scenario's.
fn add(total: &mut ScenarioReport, part: &ScenarioReport) {
    total.critical_sections += part.critical_sections;
    total.errors += part.errors;
    total.overlaps += part.overlaps;
    total.fence_inversions += part.fence_inversions;
    total.lost_updates += part.lost_updates;
    total.stale_rejected += part.stale_rejected;
    total.stale_accepted += part.stale_accepted;
    total.current_rejected += part.current_rejected;
    total.losses_signalled += part.losses_signalled;
}
