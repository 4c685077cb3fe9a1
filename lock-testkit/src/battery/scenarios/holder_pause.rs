//! B6 (outside the timing model, `LOCK_BATTERY_FULL=1`): a holder stops, as in a long GC pause,
//! until its lease has run out and another client has been granted the lock and finished a
//! critical section under it (forced: the pause ends on that, not on a timer). When it resumes,
//! its loss has been signalled, and its late write is refused by the fenced register; the same
//! write to an unfenced counter is a lost update, which is why fencing matters. Its claim, as a
//! paused process that does not look at its guard, runs until that write: the overlap shown.
//! The same late write through Redis's guarded write (plain and fenced) is refused.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lock_core::{LockManager, RetryPolicy};
use tokio::time::Instant;

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload, run_clients};
use super::common::{clients, io, outside_model, report, settle, stale_guarded_writes};
use crate::check;
use crate::failure::Failure;
use crate::history::Acquisition;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = RedisServer::spawn().map_err(io)?;
    let workload = Workload::new(4, 40, Duration::from_millis(500));
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
    // refresh either), writes its claim, then stops.
    let invoked = run.history.now();
    let guard = locks.lock("shared").ttl(workload.ttl).acquire().await?;
    let ok = run.history.now();
    let fence = guard.fencing_token().map(|f| f.get()).unwrap_or(0);
    run.register.claim(fence, invoked, ok);
    let data = guard.data_key("value")?;
    check!(
        guard.write_fenced(&data, "paused").await? == lock_core::backend::WriteOutcome::Written,
        "the holder's guarded write before its pause was refused"
    );
    let seen = run.counter.load(Ordering::SeqCst);
    let others = tokio::spawn({
        let (workload, run) = (workload.clone(), run.clone());
        async move { run_clients(&workload, backends, run).await }
    });
    // It stays stopped until another client has been granted the lock and finished a critical
    // section under it (its fence written to the register, the counter moved on).
    let limit = Instant::now() + Duration::from_secs(10);
    while run.sections.load(Ordering::SeqCst) == 0 {
        check!(
            Instant::now() < limit,
            "no other client got the lock within 10 s of the holder's pause"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Resumed: the loss was signalled, and the late writes show what fencing prevents.
    check!(
        !guard.is_valid(),
        "the paused holder's guard is still valid after another holder's grant"
    );
    let signalled = tokio::time::timeout(Duration::from_millis(100), guard.lost()).await;
    check!(signalled.is_ok(), "the paused holder's loss was not signalled");
    let refused = !run.register.write_superseded(fence);
    run.counter.store(seen + 1, Ordering::SeqCst);
    run.sections.fetch_add(1, Ordering::SeqCst);
    // The paused process acted on the lock until this write, without looking at its guard.
    let acted = run.history.now();
    run.history.record(Acquisition {
        client: workload.clients,
        invoked,
        ok,
        deadline: acted,
        released: Some(acted),
        lost: None,
        fence: Some(fence),
    });
    stale_guarded_writes(&guard, &data, &mut report).await?;
    let _ = others.await;
    let _ = guard.release().await;
    drop(locks);
    settle(&run, &mut report, &[&server], &workload).await?;
    report.losses_signalled += 1;
    check!(refused, "the fenced register accepted the paused holder's late write: {report}");
    check!(report.guarded_accepted == 0, "the paused holder's guarded write was applied: {report}");
    check!(
        report.guarded_rejected == 2,
        "the paused holder's guarded writes were not refused: {report}"
    );
    check!(report.overlaps >= 1, "the paused holder's write overlapped no one: {report}");
    check!(report.lost_updates >= 1, "the paused holder's unfenced write lost nothing: {report}");
    outside_model(&report)?;
    Ok(report)
}
