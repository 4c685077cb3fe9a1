//! B2: replies lost after the server applied the command (through the fault proxy), so
//! acquires and releases end ambiguous.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io, report, settle};
use crate::failure::Failure;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B2"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let workload = Workload::new(8, 150, Duration::from_secs(2));
    let backends = clients(c, &proxy.url(), workload.clients).await?;
    let mut report = report("B2 lost replies", &backends, true);
    let run = Arc::new(Run::default());
    let clients = tokio::spawn(run_clients_owned(workload.clone(), backends, run.clone()));
    // About one reply in ten is swallowed (and its connection cut) while the clients run.
    while !clients.is_finished() {
        proxy.drop_reply_to_command(rand::random_range(1..=10));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let _ = clients.await;
    proxy.heal();
    run.stop.store(true, Ordering::SeqCst);
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    drop(proxy);
    Ok(report)
}

async fn run_clients_owned(
    workload: Workload,
    backends: Vec<Arc<lock_core::DynLockBackend>>,
    run: Arc<Run>,
) {
    run_clients(&workload, backends, run).await;
}
