//! B1: every client connection (commands and pub/sub) killed every 200 ms.

use std::sync::Arc;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::Workload;
use super::common::{clients, inside_model, io, kill_connections, report, settle, under_faults};
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let mut workload = Workload::new(8, 150, Duration::from_secs(2));
    workload.refresh_every = 2;
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B1 connection kills", &backends, true);
    let killer = server.clone();
    let period = Duration::from_millis(200);
    let (run, _) = under_faults(&workload, backends, &mut report, period, move |_| {
        kill_connections(&killer);
        false
    })
    .await;
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    Ok(report)
}
