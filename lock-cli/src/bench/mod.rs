//! `lockctl bench`: the lock backends side by side with the raw clients doing the same round
//! trips, in one run; a table with progress on stderr, or one JSON object with `--json`.

mod contended;
mod cyclers;
mod family;
mod memory;
mod peers;
mod refresh;
mod report;
mod server;
mod uncontended;

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{BenchArgs, Workload};
use report::Report;

/// How long each measurement runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    pub(crate) uncontended: Duration,
    pub(crate) contended: Duration,
    pub(crate) refresh: Duration,
    pub(crate) memory: Duration,
}

impl Budget {
    fn new(quick: bool, smoke: bool) -> Self {
        if smoke {
            Self {
                uncontended: Duration::from_millis(150),
                contended: Duration::from_millis(400),
                refresh: Duration::from_secs(2),
                memory: Duration::from_millis(150),
            }
        } else if quick {
            Self {
                uncontended: Duration::from_millis(1_200),
                contended: Duration::from_secs(2),
                refresh: Duration::from_secs(8),
                memory: Duration::from_secs(1),
            }
        } else {
            Self {
                uncontended: Duration::from_secs(5),
                contended: Duration::from_secs(5),
                refresh: Duration::from_secs(60),
                memory: Duration::from_secs(3),
            }
        }
    }
}

pub(crate) async fn run(args: BenchArgs) -> Result<ExitCode, String> {
    let budget = Budget::new(args.quick, args.smoke);
    let server = server::Server::start(args.url.as_deref())?;
    let url = server.url();
    eprintln!("benchmarking against {url} (redis-server {})", server.version());
    let runs = |workload| args.only.is_empty() || args.only.contains(&workload);
    let mut report = Report::default();
    // Refresh first: its memory figure needs a heap no earlier workload has grown.
    if runs(Workload::Refresh) {
        report.refresh = refresh::run(&url, server.admin(), budget.refresh).await?;
    }
    if runs(Workload::Uncontended) {
        report.uncontended = uncontended::run(&url, server.port(), budget.uncontended).await?;
    }
    if runs(Workload::Contended) {
        report.contended = contended::run(&url, server.port(), budget.contended).await?;
    }
    if runs(Workload::Memory) {
        report.memory = memory::run(budget.memory).await?;
    }
    if runs(Workload::Family) {
        report.family.uncontended =
            family::uncontended(&url, server.port(), budget.uncontended).await?;
        report.family.contended = Some(family::contended(&url, budget.contended).await?);
    }
    if runs(Workload::Peers) {
        report.peers = peers::run(&url, budget.uncontended).await?;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        report.print_table();
    }
    Ok(ExitCode::SUCCESS)
}
