//! B5: a slow network through the fault proxy: 50 ms, then 200 ms each way; then replies slower
//! than the whole lease, which must never yield a guard.

use std::sync::Arc;
use std::time::Duration;

use lock_core::{LockManager, RetryPolicy};

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io, settle};
use crate::check;
use crate::failure::Failure;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B5"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let mut workload = Workload::new(4, 8, Duration::from_secs(2));
    let run = Arc::new(Run::default());
    let mut report = None;
    for (delay, clients_n, rounds) in [(50, 3, 6), (200, 2, 3)] {
        workload.clients = clients_n;
        workload.rounds = rounds;
        proxy.heal();
        let backends = clients(c, &proxy.url(), workload.clients).await?;
        proxy.set_latency(Duration::from_millis(delay));
        report.get_or_insert_with(|| {
            super::common::report("B5 slow network (50 ms, 200 ms)", &backends, true)
        });
        run_clients(&workload, backends, run.clone()).await;
    }
    let mut report = report.unwrap_or_default();

    // Replies slower than the whole lease: no guard may come back, and nothing stays behind.
    proxy.heal();
    let backend = (c.standalone)(proxy.url()).await?;
    proxy.set_latency(Duration::from_millis(600));
    let locks = LockManager::builder_shared(backend)
        .prefix(workload.prefix.as_bytes())
        .retry(RetryPolicy::none())
        .build()?;
    let late = locks.lock("late").ttl(Duration::from_millis(1_000)).try_acquire().await;
    check!(!matches!(late, Ok(Some(_))), "a lock granted after its whole ttl was handed out");
    drop(locks);
    proxy.heal();
    tokio::time::sleep(Duration::from_millis(2_000)).await;

    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    drop(proxy);
    Ok(report)
}
