//! Live progress and the final summary of the demo.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::worker::{Board, Tally};
use crate::cli::DemoArgs;
use crate::stats::Samples;

/// Prints a progress line to stderr twice a second until `until`.
pub(crate) async fn progress(board: Arc<Board>, started: Instant, until: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.tick().await;
    while Instant::now() < until {
        tick.tick().await;
        let secs = started.elapsed().as_secs_f64();
        let n = board.acquisitions.load(Ordering::Relaxed);
        eprintln!(
            "[{secs:5.1}s] acquisitions {n:>9}  ({:>9.0}/s)  overlaps {}  highest fence {}",
            n as f64 / secs,
            board.overlaps.load(Ordering::SeqCst),
            board.max_fencing.load(Ordering::SeqCst),
        );
    }
}

/// The demo's result.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub(crate) backend: &'static str,
    pub(crate) workers: usize,
    pub(crate) keys: usize,
    pub(crate) seconds: f64,
    pub(crate) acquisitions: u64,
    pub(crate) acquisitions_per_s: f64,
    pub(crate) contended_waits: u64,
    pub(crate) wait_p50_us: u64,
    pub(crate) wait_p99_us: u64,
    pub(crate) max_fencing_token: u64,
    pub(crate) overlaps: u64,
    pub(crate) fencing_regressions: u64,
    pub(crate) semaphore_permits: u32,
    pub(crate) permit_grants: u64,
    pub(crate) permit_holders_over_limit: u64,
    pub(crate) rw_reads: u64,
    pub(crate) rw_writes: u64,
    pub(crate) rw_conflicts: u64,
}

impl Summary {
    pub(crate) fn new(
        backend: &'static str,
        args: &DemoArgs,
        elapsed: Duration,
        tally: &Tally,
        board: &Board,
        waits: Samples,
    ) -> Self {
        let seconds = elapsed.as_secs_f64();
        Self {
            backend,
            workers: args.workers,
            keys: args.keys,
            seconds,
            acquisitions: tally.acquisitions,
            acquisitions_per_s: tally.acquisitions as f64 / seconds,
            contended_waits: tally.contended,
            wait_p50_us: waits.percentile_us(50.0),
            wait_p99_us: waits.percentile_us(99.0),
            max_fencing_token: board.max_fencing.load(Ordering::SeqCst),
            overlaps: board.overlaps.load(Ordering::SeqCst),
            fencing_regressions: board.fencing_regressions.load(Ordering::SeqCst),
            semaphore_permits: board.permits,
            permit_grants: board.permit_grants.load(Ordering::SeqCst),
            permit_holders_over_limit: board.over_limit.load(Ordering::SeqCst),
            rw_reads: board.reads.load(Ordering::SeqCst),
            rw_writes: board.writes.load(Ordering::SeqCst),
            rw_conflicts: board.rw_conflicts.load(Ordering::SeqCst),
        }
    }

    pub(crate) fn print(&self, json: bool) -> Result<(), String> {
        if json {
            let line = serde_json::to_string(self)
                .map_err(|e| format!("cannot encode the summary: {e}"))?;
            println!("{line}");
            return Ok(());
        }
        println!("backend            {}", self.backend);
        println!("workers × keys     {} × {}", self.workers, self.keys);
        println!(
            "acquisitions       {} in {:.1}s ({:.0}/s)",
            self.acquisitions, self.seconds, self.acquisitions_per_s
        );
        println!("contended waits    {}", self.contended_waits);
        println!("wait p50 / p99     {} µs / {} µs", self.wait_p50_us, self.wait_p99_us);
        println!("highest fence      {}", self.max_fencing_token);
        println!("overlaps           {}", self.overlaps);
        println!("fence regressions  {}", self.fencing_regressions);
        println!(
            "semaphore          {} permits granted (limit {}), {} over the limit",
            self.permit_grants, self.semaphore_permits, self.permit_holders_over_limit
        );
        println!(
            "rw lock            {} reads, {} writes, {} writer conflicts",
            self.rw_reads, self.rw_writes, self.rw_conflicts
        );
        Ok(())
    }
}
