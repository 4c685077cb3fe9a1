//! B16 (`LOCK_BATTERY_FULL=1`): a seeded random schedule of faults inside the timing model
//! (connection kills, client pauses, short SIGSTOPs, proxy delays and blackholes) for
//! `LOCK_BATTERY_SOAK_SECS` seconds (default 60) under 16 clients. The seed is printed;
//! `LOCK_BATTERY_SEED` replays it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io, report, settle};
use crate::failure::Failure;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let seed = std::env::var("LOCK_BATTERY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let secs =
        std::env::var("LOCK_BATTERY_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60u64);
    println!("B16 seed {seed} ({secs} s); replay with LOCK_BATTERY_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B16"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let mut workload = Workload::new(16, usize::MAX, Duration::from_secs(2));
    workload.refresh_every = 2;
    let backends = clients(c, &proxy.url(), workload.clients).await?;
    let mut report = report(&format!("B16 randomized soak, seed {seed}"), &backends, true);
    let run = Arc::new(Run::default());
    let clients = tokio::spawn({
        let (workload, run) = (workload.clone(), run.clone());
        async move { run_clients(&workload, backends, run).await }
    });
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(rng.random_range(2_000..5_000))).await;
        let server = server.clone();
        match rng.random_range(0..5) {
            0 => drop(tokio::task::spawn_blocking(move || {
                if let Ok(mut admin) = server.admin() {
                    let _ = admin.cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
                }
            })),
            1 => drop(tokio::task::spawn_blocking(move || {
                if let Ok(mut admin) = server.admin() {
                    let _ = admin.cmd(&["CLIENT", "PAUSE", "300", "WRITE"]);
                }
            })),
            2 => {
                let _ = server.pause();
                tokio::time::sleep(Duration::from_millis(400)).await;
                let _ = server.resume();
            }
            3 => {
                proxy.set_latency(Duration::from_millis(50));
                tokio::time::sleep(Duration::from_secs(1)).await;
                proxy.set_latency(Duration::ZERO);
            }
            _ => {
                proxy.blackhole(true);
                tokio::time::sleep(Duration::from_millis(300)).await;
                proxy.blackhole(false);
            }
        }
    }
    run.stop.store(true, Ordering::SeqCst);
    let _ = clients.await;
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    drop(proxy);
    Ok(report)
}
