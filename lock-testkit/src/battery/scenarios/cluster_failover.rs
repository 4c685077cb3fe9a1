//! B14: the master owning the lock's slot is killed mid-run; a replica takes over. Outside the
//! timing model (replication is asynchronous), so the targets are recovery time, no accepted
//! stale write, and nothing left behind.

use std::sync::Arc;
use std::time::Duration;

use super::super::report::ScenarioReport;
use super::super::workload::Workload;
use super::common::{io, outside_model, report, settle, under_faults};
use crate::check;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::{RedisCluster, RedisServer};

pub(crate) async fn run(c: &Connectors) -> Result<ScenarioReport, Failure> {
    let cluster = Arc::new(RedisCluster::spawn(3, 1).map_err(io)?);
    let mut workload = Workload::new(8, 150, Duration::from_secs(2));
    workload.refresh_every = 2;
    let key = format!("{}shared", workload.prefix);
    let slot = cluster.nodes()[0]
        .admin()
        .and_then(|mut a| a.cmd(&["CLUSTER", "KEYSLOT", &key]))
        .map_err(io)?;
    let slot = slot
        .int()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| Failure::new("no slot", "B14"))?;
    let mut backends = Vec::new();
    for _ in 0..workload.clients {
        backends.push((c.cluster)(cluster.urls()).await?);
    }
    let mut report = report("B14 cluster failover (kill the slot's master)", &backends, false);
    let victims = cluster.clone();
    let period = Duration::from_millis(1_500);
    let (run, faults) = under_faults(&workload, backends, &mut report, period, move |log| {
        log.count() == 0 && victims.node_for_slot(slot).map(|owner| owner.kill()).is_ok()
    })
    .await;
    let masters: Vec<&RedisServer> = cluster.nodes().iter().filter(|n| n.is_running()).collect();
    settle(&run, &mut report, &masters, &workload).await?;
    check!(faults.count() == 1, "the slot's master was not killed");
    check!(
        report.recovery_ms.is_some_and(|r| r <= 10_000),
        "no acquisition within 10 s of the failover: {report}"
    );
    outside_model(&report)?;
    Ok(report)
}
