//! B4: the server stops answering for a while: (a) SIGSTOP for half the ttl, (b) `CLIENT PAUSE
//! 800 WRITE`. Inside the timing model.

use std::sync::Arc;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::Workload;
use super::common::{clients, inside_model, io, report, settle, under_faults};
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
    let victim = server.clone();
    let period = Duration::from_millis(700);
    let (run, _) = under_faults(&workload, backends, &mut report, period, move |_| {
        fault(&victim);
        true
    })
    .await;
    let _ = server.resume();
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
