//! B1: every client connection (commands and pub/sub) killed every 200 ms.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io, nemesis, report, settle};
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let mut workload = Workload::new(8, 150, Duration::from_secs(2));
    workload.refresh_every = 2;
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B1 connection kills", &backends, true);
    let run = Arc::new(Run::default());
    let killer = server.clone();
    let (stop, task) = nemesis(Duration::from_millis(200), move || {
        if let Ok(mut admin) = killer.admin() {
            for kind in ["normal", "pubsub"] {
                let _ = admin.cmd(&["CLIENT", "KILL", "TYPE", kind, "SKIPME", "yes"]);
            }
        }
    });
    run_clients(&workload, backends, run.clone()).await;
    stop.store(true, Ordering::SeqCst);
    let _ = task.await;
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    Ok(report)
}
