//! B13 (`LOCK_BATTERY_FULL=1`): the master of a Sentinel deployment killed mid-run; Sentinel
//! promotes the replica; the old master comes back as a replica 3 s later. Run without and with
//! WAIT mode. Outside the timing model (asynchronous replication): the targets are recovery, no
//! accepted stale write, nothing left behind.

use std::sync::Arc;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::Workload;
use super::common::{io, outside_model, report, settle, under_faults};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::{Connectors, SentinelTarget};
use crate::server::{RedisSentinel, RedisServer};

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let Some(connect) = c.sentinel.as_ref() else {
        return Err(Failure::skip("the backend does not connect through Sentinel"));
    };
    let mut last = None;
    for wait in [None, Some((1, Duration::from_millis(200)))] {
        let deployment = Arc::new(RedisSentinel::spawn().map_err(io)?);
        let target = SentinelTarget {
            sentinels: deployment.sentinel_addrs(),
            service: deployment.service().to_owned(),
            wait,
        };
        let started = std::time::Instant::now();
        let mut workload = Workload::new(8, 150, Duration::from_secs(2));
        workload.refresh_every = 2;
        let mut backends = Vec::new();
        for _ in 0..workload.clients {
            backends.push(connect(target.clone()).await?);
        }
        let name = if wait.is_some() {
            "B13 Sentinel failover, WAIT 1"
        } else {
            "B13 Sentinel failover, no WAIT"
        };
        let mut report = report(name, &backends, false);
        let victim = deployment.clone();
        let period = Duration::from_millis(1_500);
        let (run, faults) = under_faults(&workload, backends, &mut report, period, move |log| {
            if log.count() > 0 {
                return false;
            }
            victim.master().kill();
            std::thread::sleep(Duration::from_secs(3));
            let _ = victim.master().start_again();
            true
        })
        .await;
        let nodes: Vec<&RedisServer> = vec![deployment.master(), deployment.replica()];
        settle(&run, &mut report, &nodes, &workload).await?;
        check!(faults.count() == 1, "the master was not killed during the run");
        // With WAIT 1 nothing can be confirmed until Sentinel has turned the old master into a
        // replica of the new one and it has synced: allow for that.
        let bound = if wait.is_some() { 30_000 } else { 10_000 };
        check!(
            report.recovery_ms.is_some_and(|r| r <= bound),
            "no acquisition within {bound} ms of the old master's return: {report}"
        );
        outside_model(&report)?;
        report.duration_ms = started.elapsed().as_millis() as u64;
        if let Some(previous) = last.replace(report) {
            println!("{previous}");
            previous.save();
        }
    }
    last.ok_or_else(|| Failure::new("no run", "B13"))
}
