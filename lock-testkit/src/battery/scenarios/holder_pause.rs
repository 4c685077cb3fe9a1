//! B6 (outside the timing model, `LOCK_BATTERY_FULL=1`): a holder stops for twice its ttl, as in
//! a long GC pause, while the others carry on. When it resumes, its loss has been signalled,
//! and its late write is refused by the fenced register; the same write to an unfenced counter
//! is a lost update, which is why fencing matters.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lock_core::{LockManager, RetryPolicy};

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, io, outside_model, report, settle};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let workload = Workload::new(4, 60, Duration::from_millis(500));
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B6 holder paused past its lease", &backends, false);
    if !backends[0].info().capabilities.fencing {
        return Err(Failure::skip("needs fencing tokens"));
    }
    let run = Arc::new(Run::default());
    let locks = LockManager::builder_shared((c.standalone)(server.url()).await?)
        .prefix(workload.prefix.as_bytes())
        .retry(RetryPolicy::fixed(Duration::from_millis(5)))
        .build()?;
    // The paused holder: takes the lock first, without auto-refresh (a paused process would not
    // refresh either), writes its claim, then stops for two ttls.
    let guard = locks.lock("shared").ttl(workload.ttl).acquire().await?;
    let fence = guard.fencing_token().map(|f| f.get()).unwrap_or(0);
    run.register.granted(fence);
    run.register.write(fence);
    let seen = run.counter.load(Ordering::SeqCst);
    let others = tokio::spawn({
        let (workload, run) = (workload.clone(), run.clone());
        async move { run_clients(&workload, backends, run).await }
    });
    tokio::time::sleep(workload.ttl * 2).await;
    // Resumed: the loss was signalled, and the late writes show what fencing prevents.
    check!(!guard.is_valid(), "the paused holder's guard is still valid after two ttls");
    let refused = !run.register.write(fence);
    run.counter.store(seen + 1, Ordering::SeqCst);
    let _ = others.await;
    let _ = guard.release().await;
    drop(locks);
    settle(&run, &mut report, &[&server], &workload).await?;
    report.losses_signalled += 1;
    check!(refused, "the fenced register accepted the paused holder's late write: {report}");
    check!(
        report.lost_updates > 0,
        "the unfenced counter lost nothing, so the pause did not overlap anyone: {report}"
    );
    outside_model(&report)?;
    Ok(report)
}
