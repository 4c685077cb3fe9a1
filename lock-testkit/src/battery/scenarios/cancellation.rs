//! B8: acquire futures dropped at random points, tasks holding guards aborted, and guards
//! dropped without release, with and without auto-refresh. Afterwards no lock key is left and
//! no refresher keeps running.

use std::time::Duration;

use lock_core::{LockManager, RetryPolicy};

use super::super::quiesce::leftovers;
use super::super::report::ScenarioReport;
use super::common::{io, report};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

const ITERATIONS: usize = 250;
const NAMES: usize = 50;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let backend = (c.standalone)(server.url()).await?;
    let mut report =
        report("B8 cancellation (1000 futures, 4 modes)", std::slice::from_ref(&backend), true);
    let prefix = format!("lock:battery:{:016x}:", rand::random::<u64>());
    let ttl = Duration::from_secs(1);
    let locks = LockManager::builder_shared(backend)
        .prefix(prefix.as_bytes())
        .retry(RetryPolicy::fixed(Duration::from_millis(2)))
        .build()?;
    for mode in 0..4 {
        let refresh = mode >= 2;
        for i in 0..ITERATIONS {
            let name = format!("cancel-{}", i % NAMES);
            let request = locks.lock(&name).ttl(ttl).wait(Duration::from_millis(50));
            let request = if refresh { request.auto_refresh() } else { request };
            if mode % 2 == 0 {
                // Dropped acquire futures (and, when they won, dropped guards).
                let after = Duration::from_micros(rand::random_range(0..3_000));
                if let Ok(Ok(guard)) = tokio::time::timeout(after, request.acquire()).await {
                    drop(guard);
                    report.critical_sections += 1;
                }
            } else {
                // A task holding the guard, aborted at a random point.
                let holder = tokio::spawn(async move {
                    if let Ok(guard) = request.acquire().await {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        drop(guard);
                    }
                });
                tokio::time::sleep(Duration::from_micros(rand::random_range(0..3_000))).await;
                holder.abort();
                let _ = holder.await;
            }
        }
    }
    let (right_after, _) = leftovers(&[&server], &prefix)?;
    drop(locks);
    tokio::time::sleep(ttl * 3).await;
    let (keys, channels) = leftovers(&[&server], &prefix)?;
    report.leaked_keys = keys;
    report.leaked_channels = channels;
    println!(
        "B8: {right_after} of {NAMES} lock names still held right after the run (the rest released at once)"
    );
    check!(keys == 0, "lock keys left three ttls after cancellation: {report}");
    check!(channels == 0, "channels left: {report}");
    Ok(report)
}
