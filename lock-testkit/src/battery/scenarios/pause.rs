//! B4: the server stops answering for a while: (a) SIGSTOP for half the ttl, (b) `CLIENT PAUSE
//! 800 WRITE`. Inside the timing model.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{FaultLog, clients, inside_model, io, nemesis, report, settle};
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

async fn paused(
    c: &Connectors,
    name: &str,
    fault: impl Fn(&RedisServer) + Send + 'static,
) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let mut workload = Workload::new(8, 120, Duration::from_secs(2));
    workload.refresh_every = 2;
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report(name, &backends, true);
    let run = Arc::new(Run::default());
    let faults = Arc::new(FaultLog::default());
    let (victim, log, clock) = (server.clone(), faults.clone(), run.clone());
    let (stop, task) = nemesis(Duration::from_millis(700), move || {
        fault(&victim);
        log.ended(&clock);
    });
    run_clients(&workload, backends, run.clone()).await;
    stop.store(true, Ordering::SeqCst);
    let _ = task.await;
    let _ = server.resume();
    report.recovery_ms = faults.worst_recovery(&run);
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    Ok(report)
}

pub(crate) async fn stopped(c: &Connectors) -> Result<ScenarioReport, Failure> {
    paused(c, "B4a server stopped (SIGSTOP 1 s)", |server| {
        let _ = server.pause();
        std::thread::sleep(Duration::from_millis(1_000));
        let _ = server.resume();
    })
    .await
}

pub(crate) async fn client_pause(c: &Connectors) -> Result<ScenarioReport, Failure> {
    paused(c, "B4b CLIENT PAUSE 800 WRITE", |server| {
        if let Ok(mut admin) = server.admin() {
            let _ = admin.cmd(&["CLIENT", "PAUSE", "800", "WRITE"]);
        }
        std::thread::sleep(Duration::from_millis(800));
    })
    .await
}
