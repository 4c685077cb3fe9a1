//! B19 (semaphore of 3), B20 (reader-writer lock, a third of the clients writing) and B21 (a
//! fair lock: every client waits in the store's line): the lock family under faults, inside the
//! timing model. For each: (a) every connection killed, or the
//! server stopped for 150 ms, every 200 ms in turn; (b) replies lost after the server applied the
//! command (fault proxy); (c) the server restarted every second with AOF `appendfsync always`.
//! Checked: never more than 3 permit holders (B19) and never a writer beside anyone (B20), fences
//! in real-time order across reads, writes and permits, nothing left behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::{Primitive, Run, Workload, run_clients};
use super::common::{clients, inside_model, io, kill_connections, report, settle, under_faults};
use crate::check;
use crate::failure::Failure;
use crate::history::over_limit;
use crate::proxy::FaultProxy;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

fn workload(primitive: Primitive) -> Workload {
    let mut workload = Workload::new(9, 60, Duration::from_secs(2));
    workload.primitive = primitive;
    workload.refresh_every = 2;
    workload.hold = Duration::from_millis(4);
    workload
}

/// The checks are not vacuous: at some moment two holders shared the primitive (a fair lock is
/// never shared: its check is the overlaps `inside_model` counts).
fn shared(run: &Run, report: &ScenarioReport, primitive: Primitive) -> Result<(), Failure> {
    if primitive == Primitive::FairLock {
        return Ok(());
    }
    let acquisitions = run.history.acquisitions();
    check!(!over_limit(&acquisitions, 1).is_empty(), "holders never shared it: {report}");
    Ok(())
}

fn name(primitive: Primitive, fault: &str) -> String {
    match primitive {
        Primitive::Semaphore(_) => format!("B19{fault} semaphore"),
        Primitive::FairLock => format!("B21{fault} fair lock"),
        _ => format!("B20{fault} reader-writer lock"),
    }
}

/// (a): connection kills and 150 ms server stops, alternating every 200 ms.
pub(crate) async fn kills_and_stops(
    c: &Connectors,
    primitive: Primitive,
) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::spawn().map_err(io)?);
    let workload = workload(primitive);
    let backends = clients(c, &server.url(), workload.clients).await?;
    let title = name(primitive, "a") + ": connection kills and server stops";
    let mut report = report(&title, &backends, true);
    let turn = AtomicUsize::new(0);
    let victim = server.clone();
    let period = Duration::from_millis(200);
    let (run, faults) = under_faults(&workload, backends, &mut report, period, move |_| {
        if turn.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            kill_connections(&victim);
        } else if victim.pause().is_ok() {
            std::thread::sleep(Duration::from_millis(150));
            let _ = victim.resume();
        }
        true
    })
    .await;
    let _ = server.resume();
    settle(&run, &mut report, &[&server], &workload).await?;
    check!(faults.count() > 2, "too few faults during the run: {report}");
    inside_model(&report)?;
    shared(&run, &report, primitive)?;
    Ok(report)
}

/// (b): about one reply in ten swallowed after the server applied the command.
pub(crate) async fn lost_replies(
    c: &Connectors,
    primitive: Primitive,
) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let upstream = format!("127.0.0.1:{}", server.port())
        .parse()
        .map_err(|_| Failure::new("bad address", "B19/B20"))?;
    let proxy = FaultProxy::start(upstream).await.map_err(io)?;
    let workload = workload(primitive);
    let backends = clients(c, &proxy.url(), workload.clients).await?;
    let mut report = report(&(name(primitive, "b") + ": lost replies"), &backends, true);
    let run = Arc::new(Run::default());
    let (w, r) = (workload.clone(), run.clone());
    let clients = tokio::spawn(async move { run_clients(&w, backends, r).await });
    while !clients.is_finished() {
        proxy.drop_reply_to_command(rand::random_range(1..=10));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let _ = clients.await;
    proxy.heal();
    settle(&run, &mut report, &[&server], &workload).await?;
    inside_model(&report)?;
    shared(&run, &report, primitive)?;
    drop(proxy);
    Ok(report)
}

/// (c): the server killed and started again every second, with AOF `appendfsync always`.
pub(crate) async fn restarts(
    c: &Connectors,
    primitive: Primitive,
) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::builder().aof(true).spawn().map_err(io)?);
    let mut workload = workload(primitive);
    workload.rounds = 10;
    workload.refresh_every = 1;
    workload.hold = Duration::from_millis(400);
    let backends = clients(c, &server.url(), workload.clients).await?;
    let title = name(primitive, "c") + ": restarts with AOF";
    let mut report = report(&title, &backends, true);
    let victim = server.clone();
    let (run, faults) =
        under_faults(&workload, backends, &mut report, Duration::from_secs(1), move |_| {
            victim.restart().is_ok()
        })
        .await;
    settle(&run, &mut report, &[&server], &workload).await?;
    check!(faults.count() > 0, "the server was never restarted during the run");
    inside_model(&report)?;
    shared(&run, &report, primitive)?;
    Ok(report)
}
