//! Command-line arguments.

use clap::{Args, Parser, Subcommand};

/// Distributed locks over Redis: demo, benchmark, and operator tools.
#[derive(Debug, Parser)]
#[command(name = "lockctl", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run worker tasks contending for a few locks and check that no two ever overlapped.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Worker tasks.
    #[arg(long, default_value_t = 16)]
    pub(crate) workers: usize,
    /// Distinct lock names the workers contend for.
    #[arg(long, default_value_t = 4)]
    pub(crate) keys: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub(crate) seconds: f64,
    /// Time spent inside each critical section, in microseconds.
    #[arg(long, default_value_t = 200)]
    pub(crate) hold_us: u64,
    /// Lock ttl, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) ttl_ms: u64,
    /// Print the summary as one JSON object on stdout (progress still goes to stderr).
    #[arg(long)]
    pub(crate) json: bool,
}
