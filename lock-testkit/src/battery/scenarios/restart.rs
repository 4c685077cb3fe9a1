//! B3: the server killed (-9) and started again. (a) Without persistence, outside the timing
//! model (`LOCK_BATTERY_FULL=1`): the lock is forgotten while its holder works, and the fault is
//! forced in every episode (see [`without_persistence`]). (b) With AOF `appendfsync always`, every
//! second under a workload, inside the model.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lock_core::{LockManager, RetryPolicy};

use super::super::report::ScenarioReport;
use super::super::workload::{Run, Workload};
use super::common::{
    FaultLog, clients, inside_model, io, outside_model, report, settle, stale_guarded_writes,
    under_faults,
};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::RedisServer;

pub(crate) async fn with_aof(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::builder().aof(true).spawn().map_err(io)?);
    // Long, auto-refreshed holds: a restart then usually lands while a lock is held and is
    // noticed at its next refresh.
    let mut workload = Workload::new(4, 12, Duration::from_secs(1));
    workload.refresh_every = 1;
    workload.hold = Duration::from_millis(700);
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B3b restart with AOF", &backends, true);
    let victim = server.clone();
    let (run, faults) =
        under_faults(&workload, backends, &mut report, Duration::from_secs(1), move |_| {
            victim.restart().is_ok()
        })
        .await;
    settle(&run, &mut report, &[&server], &workload).await?;
    check!(faults.count() > 0, "the server was never restarted during the run");
    check!(
        report.recovery_ms.is_some_and(|r| r <= 2_000),
        "slow recovery after a restart: {report}"
    );
    inside_model(&report)?;
    Ok(report)
}

/// Episodes of B3a.
const EPISODES: usize = 5;

/// B3a: in each episode, holder A takes the lock (ttl 3 s, not refreshed) and writes its fence;
/// the server is killed and started again empty (lock key and fencing counter gone, checked);
/// B is then granted the same lock while A's guard still says it is valid (the overlap, forced
/// every time). B's fence must be above A's although the counter was lost (it starts again at
/// the server's clock), so B's first write is accepted: the register never refuses the current
/// holder, and no fence goes backwards over the whole run. Only then does A, which knows
/// nothing, write: the fenced register must refuse it, and its unfenced update is lost. A's next
/// extend is refused and its loss signalled. Then the same late write goes through Redis's
/// guarded write (plain and fenced, to a data key both holders write): refused both ways, and
/// the data keeps B's value.
pub(crate) async fn without_persistence(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let server = Arc::new(RedisServer::builder().aof(false).spawn().map_err(io)?);
    let workload = Workload::new(2, EPISODES, Duration::from_secs(3));
    let backends = clients(c, &server.url(), workload.clients).await?;
    let mut report = report("B3a restart without persistence", &backends, false);
    if !backends[0].info().capabilities.fencing {
        return Err(Failure::skip("needs fencing tokens"));
    }
    let managers = backends
        .into_iter()
        .map(|b| {
            LockManager::builder_shared(b)
                .prefix(workload.prefix.as_bytes())
                .retry(RetryPolicy::fixed(Duration::from_millis(20)))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (a, b) = (&managers[0], &managers[1]);
    let run = Run::default();
    let faults = FaultLog::default();
    let ttl = workload.ttl;
    let mut refused = 0;
    for _ in 0..EPISODES {
        let invoked = run.history.now();
        let guard_a = a.lock("shared").ttl(ttl).wait(Duration::from_secs(5)).acquire().await?;
        let span_a = run.history.acquired(0, invoked, &guard_a);
        let fence_a = guard_a.fencing_token().map_or(0, |f| f.get());
        let data = guard_a.data_key("value")?;
        check!(
            guard_a.write_fenced(&data, "A").await? == lock_core::backend::WriteOutcome::Written,
            "A's guarded write while it held the lock was refused"
        );
        run.claim(span_a, invoked, fence_a);
        let seen_a = run.counter.load(Ordering::SeqCst);

        // The store forgets the lock and its fencing counter.
        let victim = server.clone();
        tokio::task::spawn_blocking(move || victim.restart())
            .await
            .map_err(|e| Failure::new(e.to_string(), "B3a"))?
            .map_err(io)?;
        faults.ended(&run);
        let left = server
            .admin()
            .and_then(|mut admin| admin.cmd(&["KEYS", &format!("{}*", workload.prefix)]))
            .map_err(io)?;
        check!(left.items().is_empty(), "the restarted server still has keys: {left}");

        // B is granted the forgotten lock while A still holds it, as far as A knows.
        let invoked = run.history.now();
        let guard_b = b.lock("shared").ttl(ttl).wait(ttl).acquire().await?;
        let (span_b, fence_b) = run.granted_over(1, invoked, &guard_b, span_a, &guard_a)?;
        check!(
            guard_b.write_fenced(&data, "B").await? == lock_core::backend::WriteOutcome::Written,
            "B's guarded write as the current holder was refused: {report}"
        );

        // Only now does A act, still valid in its own eyes: the fenced write must be refused.
        if !run.register.write_superseded(fence_a) {
            refused += 1;
        }
        run.counter.store(seen_a + 1, Ordering::SeqCst);
        run.sections.fetch_add(1, Ordering::SeqCst);

        // A's next extend is refused (after its connection is back), and the loss signalled.
        let mut refusal = None;
        for _ in 0..50 {
            match guard_a.extend(ttl).await {
                Err(lock_core::Error::NotHeld { .. }) => {
                    refusal = Some(());
                    break;
                }
                Ok(()) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        check!(refusal.is_some(), "A's extend of a lock the store gave to B was not refused");
        let signalled = tokio::time::timeout(Duration::from_millis(100), guard_a.lost()).await;
        check!(signalled.is_ok(), "A's loss was not signalled after its extend was refused");
        run.history.lost(span_a);
        run.losses.fetch_add(1, Ordering::SeqCst);
        stale_guarded_writes(&guard_a, &data, &mut report).await?;
        let value = a.read_data(&data).await?;
        check!(value.as_deref() == Some(&b"B"[..]), "B's data was overwritten: {value:?}");
        let _ = guard_a.release().await;
        run.register.write(fence_b);
        run.history.released(span_b);
        guard_b.release().await?;
    }
    report.recovery_ms = faults.worst_recovery(&run);
    settle(&run, &mut report, &[&server], &workload).await?;
    println!("B3a: {refused} of {EPISODES} stale writes refused");
    // Fences in real-time order across every restart, and B never refused.
    outside_model(&report)?;
    check!(
        report.overlaps >= EPISODES as u64,
        "{} overlaps in {EPISODES} forced episodes: {report}",
        report.overlaps
    );
    check!(refused == EPISODES, "only {refused} of {EPISODES} stale writes refused: {report}");
    check!(report.losses_signalled == EPISODES as u64, "losses not all signalled: {report}");
    check!(report.guarded_accepted == 0, "stale guarded writes applied: {report}");
    check!(
        report.guarded_rejected == 2 * EPISODES as u64,
        "not every stale guarded write was tried and refused: {report}"
    );
    check!(report.lost_updates >= 1, "A's late unfenced writes lost nothing: {report}");
    Ok(report)
}
