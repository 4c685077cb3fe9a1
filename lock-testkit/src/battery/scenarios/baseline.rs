//! B0: no fault. 16 clients × 200 acquisitions of one lock.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, inside_model, io, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let workload = Workload::new(16, 200, Duration::from_secs(2));
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B0 baseline", &backends, true);
    let run = Arc::new(Run::default());
    run_clients(&workload, backends, run.clone()).await;
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    check!(
        report.critical_sections == 3_200,
        "{} of 3200 critical sections: {report}",
        report.critical_sections
    );
    let served: HashSet<usize> = run.history.acquisitions().iter().map(|a| a.client).collect();
    check!(
        served.len() == workload.clients,
        "only {} of 16 clients ever got the lock",
        served.len()
    );
    Ok(report)
}
