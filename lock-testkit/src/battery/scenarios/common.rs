//! Helpers shared by the scenarios.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lock_core::{DynLockBackend, LockGuard, backend::WriteOutcome};

use super::super::quiesce::leftovers;
use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use crate::check;
use crate::failure::{CaseResult, Failure};
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) fn io(e: std::io::Error) -> Failure {
    Failure::new(format!("harness: {e}"), "battery")
}

/// One backend per client (each its own connections, like separate processes).
pub(crate) async fn clients(
    c: &Connectors,
    url: &str,
    n: usize,
) -> Result<Vec<Arc<DynLockBackend>>, Failure> {
    let mut backends = Vec::with_capacity(n);
    for _ in 0..n {
        backends.push((c.standalone)(url.to_owned()).await?);
    }
    Ok(backends)
}

pub(crate) fn report(
    scenario: &str,
    backends: &[Arc<DynLockBackend>],
    inside_model: bool,
) -> ScenarioReport {
    let backend = backends.first().map_or("?", |b| b.info().name).to_owned();
    ScenarioReport {
        scenario: scenario.to_owned(),
        backend,
        inside_model,
        ..ScenarioReport::default()
    }
}

/// Fills the report from the run, waits until every lock left behind must have expired, and
/// counts what is still there.
pub(crate) async fn settle(
    run: &Run,
    report: &mut ScenarioReport,
    nodes: &[&RedisServer],
    workload: &Workload,
) -> CaseResult {
    run.fill(report);
    tokio::time::sleep(workload.ttl + Duration::from_millis(300)).await;
    let (keys, channels) = leftovers(nodes, &workload.prefix)?;
    report.leaked_keys = keys;
    report.leaked_channels = channels;
    Ok(())
}

/// Targets inside the timing model: no overlap, fences in order, no lost update, no accepted
/// stale write, no current holder refused, nothing left behind.
pub(crate) fn inside_model(report: &ScenarioReport) -> CaseResult {
    check!(report.critical_sections > 0, "no critical section completed: {report}");
    check!(report.overlaps == 0, "overlapping critical sections: {report}");
    check!(report.lost_updates == 0, "lost updates: {report}");
    fences_hold(report)?;
    nothing_left(report)
}

/// Targets outside the timing model: overlaps may happen, but fences still follow real-time
/// order (each is above the last one recorded and at least the server's clock, so a store that
/// forgets does not set them back), the fenced register accepts no stale write and refuses no
/// current holder, and nothing is left behind.
pub(crate) fn outside_model(report: &ScenarioReport) -> CaseResult {
    fences_hold(report)?;
    nothing_left(report)
}

fn fences_hold(report: &ScenarioReport) -> CaseResult {
    check!(report.fence_inversions == 0, "fencing tokens out of order: {report}");
    check!(report.stale_accepted == 0, "stale writes accepted: {report}");
    check!(report.current_rejected == 0, "the current holder's writes refused: {report}");
    Ok(())
}

fn nothing_left(report: &ScenarioReport) -> CaseResult {
    check!(report.leaked_keys == 0, "lock keys left after their ttl: {report}");
    check!(report.leaked_channels == 0, "pub/sub channels left: {report}");
    Ok(())
}

/// Runs the workload's clients while `fault` strikes every `period` on a blocking thread, until
/// the clients are done. A strike that returns `true` is logged as a fault that ended then, on the
/// run's clock (a strike gets the log, to stop after a number of faults). Returns the run and the
/// log, and puts the worst recovery after a logged fault in the report.
pub(crate) async fn under_faults(
    workload: &Workload,
    backends: Vec<Arc<DynLockBackend>>,
    report: &mut ScenarioReport,
    period: Duration,
    fault: impl Fn(&FaultLog) -> bool + Send + 'static,
) -> (Arc<Run>, Arc<FaultLog>) {
    let run = Arc::new(Run::default());
    let faults = Arc::new(FaultLog::default());
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, log, clock) = (stop.clone(), faults.clone(), run.clone());
    let task = tokio::task::spawn_blocking(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(period);
            if !flag.load(Ordering::SeqCst) && fault(&log) {
                log.ended(&clock);
            }
        }
    });
    run_clients(workload, backends, run.clone()).await;
    stop.store(true, Ordering::SeqCst);
    let _ = task.await;
    report.recovery_ms = faults.worst_recovery(&run);
    (run, faults)
}

/// Kills every client connection of `server`, pub/sub ones included (not the admin's own).
pub(crate) fn kill_connections(server: &RedisServer) {
    if let Ok(mut admin) = server.admin() {
        for kind in ["normal", "pubsub"] {
            let _ = admin.cmd(&["CLIENT", "KILL", "TYPE", kind, "SKIPME", "yes"]);
        }
    }
}

/// When each fault ended, on the run's history clock.
#[derive(Debug, Default)]
pub(crate) struct FaultLog(std::sync::Mutex<Vec<Duration>>);

impl FaultLog {
    pub(crate) fn ended(&self, run: &Run) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(run.history.now());
    }

    /// The slowest recovery: the longest time from a fault's end to the next acquisition.
    pub(crate) fn worst_recovery(&self, run: &Run) -> Option<u64> {
        let ends = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        ends.iter().filter_map(|end| run.recovery_after(*end)).max()
    }

    pub(crate) fn count(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// A holder whose lock is gone writes `data` through the guarded write, plain and fenced (when
/// it has a fence): each refusal counts in `guarded_rejected`, each applied write in
/// `guarded_accepted` (which must stay 0). Store errors are retried briefly (a restarted server
/// takes a moment to be reachable again).
pub(crate) async fn stale_guarded_writes(
    guard: &LockGuard,
    data: &[u8],
    report: &mut ScenarioReport,
) -> CaseResult {
    let fenced = guard.fencing_token().is_some();
    for fence in [false, true].into_iter().filter(|f| !f || fenced) {
        let mut outcome = None;
        for _ in 0..50 {
            let write = if fence {
                guard.write_fenced(data, "stale").await
            } else {
                guard.write(data, "stale").await
            };
            match write {
                Ok(o) => {
                    outcome = Some(o);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        match outcome {
            Some(WriteOutcome::Written) => report.guarded_accepted += 1,
            Some(_) => report.guarded_rejected += 1,
            None => return Err(Failure::new("a stale guarded write never got an answer", "")),
        }
    }
    Ok(())
}
