//! `lockctl demo`: workers contend for a few locks; every critical section is checked for
//! overlap and fencing order. In-process by default; on Redis with `--url` (see
//! [`backend`]).

mod backend;
mod report;
mod worker;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use lock_core::RetryPolicy;
use tokio::time::Instant;

use crate::cli::DemoArgs;
use crate::stats::Samples;
use backend::DemoBackend;
use report::Summary;
use worker::{Board, Tally};

/// Runs `lockctl demo`: exit 0 when no two critical sections overlapped, fencing tokens only
/// increased, the semaphore never had more holders than permits and no writer shared the
/// reader-writer lock.
pub(crate) async fn run(args: DemoArgs) -> Result<ExitCode, String> {
    if args.workers == 0 || args.keys == 0 {
        return Err("--workers and --keys must be at least 1".into());
    }
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 86_400.0) {
        return Err("--seconds must be between 0 and 86400".into());
    }
    let retry =
        RetryPolicy::exponential(Duration::from_millis(1), Duration::from_millis(50)).jitter(0.5);
    let backend = DemoBackend::open(&args, retry).await?;
    let locks = backend.locks.clone();
    let backend_name = locks.backend_info().name;
    let board = Arc::new(Board::new(args.keys));
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(args.seconds);
    let hold = Duration::from_micros(args.hold_us);
    let mut workers = Vec::new();
    for id in 0..args.workers {
        workers.push(tokio::spawn(worker::work(id, locks.clone(), board.clone(), hold, until)));
    }
    let progress = tokio::spawn(report::progress(board.clone(), started, until));
    let mut tally = Tally::default();
    let mut waits = Samples::default();
    let mut failure = None;
    for worker in workers {
        match worker.await.map_err(|e| format!("a worker panicked: {e}")).and_then(|r| r) {
            Ok((t, w)) => {
                tally.add(&t);
                waits.extend(w);
            }
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    progress.abort();
    backend.tidy(args.keys, args.ttl_ms).await;
    if let Some(e) = failure {
        return Err(e);
    }
    let summary =
        Summary::new(backend_name, &args, started.elapsed(), &tally, &board, waits.finish());
    summary.print(args.json)?;
    let violations = summary.overlaps
        + summary.fencing_regressions
        + summary.permit_holders_over_limit
        + summary.rw_conflicts;
    Ok(if violations == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
