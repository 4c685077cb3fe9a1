//! B3: the server killed (-9) and started again every second, (a) without persistence, outside
//! the timing model (locks and fencing counters are lost), and (b) with AOF `appendfsync always`,
//! inside it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{FaultLog, clients, inside_model, io, nemesis, outside_model, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

async fn restarts(c: &Connectors, aof: bool) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::builder().aof(aof).spawn().map_err(io)?);
    // Long, auto-refreshed holds: a restart then usually lands while a lock is held and is
    // noticed at its next refresh.
    let mut workload = Workload::new(4, 12, Duration::from_secs(1));
    workload.refresh_every = 1;
    workload.hold = Duration::from_millis(700);
    let backends = clients(c, &server.url(), workload.clients).await?;
    let name = if aof { "B3b restart with AOF" } else { "B3a restart without persistence" };
    let mut report = report(name, &backends, aof);
    let run = Arc::new(Run::default());
    let faults = Arc::new(FaultLog::default());
    let (victim, log, clock) = (server.clone(), faults.clone(), run.clone());
    let (stop, task) = nemesis(Duration::from_secs(1), move || {
        if victim.restart().is_ok() {
            log.ended(&clock);
        }
    });
    run_clients(&workload, backends, run.clone()).await;
    stop.store(true, Ordering::SeqCst);
    let _ = task.await;
    report.recovery_ms = faults.worst_recovery(&run);
    settle(&run, &mut report, &[&server], &workload).await?;
    check!(faults.count() > 0, "the server was never restarted during the run");
    check!(
        report.recovery_ms.is_some_and(|r| r <= 2_000),
        "slow recovery after a restart: {report}"
    );
    if aof {
        inside_model(&report)?;
    } else {
        outside_model(&report)?;
        check!(
            report.losses_signalled > 0,
            "no holder was told its lock vanished in a restart: {report}"
        );
    }
    Ok(report)
}

pub(crate) async fn without_persistence(c: &Connectors) -> Result<ScenarioReport, Failure> {
    restarts(c, false).await
}

pub(crate) async fn with_aof(c: &Connectors) -> Result<ScenarioReport, Failure> {
    restarts(c, true).await
}
