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
    /// Measure lock-redis, lock-fred and the in-process backend against the raw clients
    /// (feature `bench`).
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
    /// List live locks (SCAN, never KEYS): holder, ttl, fencing counter.
    List(ListArgs),
    /// Show one lock.
    Info(NameArgs),
    /// Print acquisitions and releases of one lock as they happen (Ctrl-C to stop).
    Watch(NameArgs),
    /// Release a lock: owner-checked with `--token`, or unconditionally with `--force`.
    Release(ReleaseArgs),
    /// Check the server (or every cluster master) for what makes locks unsafe: version,
    /// maxmemory-policy, persistence, replication. Exit code 0 when nothing is flagged, 1
    /// otherwise.
    Doctor(DoctorArgs),
    /// Print the completion script of a shell (bash, zsh, fish, elvish, powershell), e.g.
    /// `lockctl completions bash > ~/.local/share/bash-completion/completions/lockctl`.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

impl CompletionsArgs {
    /// Writes the script to stdout.
    pub(crate) fn print(&self) -> std::process::ExitCode {
        let mut command = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(self.shell, &mut command, "lockctl", &mut std::io::stdout());
        std::process::ExitCode::SUCCESS
    }
}

/// Where the locks are.
#[derive(Debug, Args, Clone)]
pub(crate) struct Target {
    /// Redis URL: `redis://[user:password@]host:port[/db]`, `rediss://...`, `redis+unix:///path`,
    /// or `redis-cluster://host:port[,host:port...]` for a cluster.
    #[arg(long, env = "LOCKCTL_URL", default_value = "redis://127.0.0.1:6379/")]
    pub(crate) url: String,
    /// Key prefix the locks live under.
    #[arg(long, default_value = "lock:")]
    pub(crate) prefix: String,
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
    /// Run on Redis at this URL instead of in-process (same forms as `--url` elsewhere).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// Print the summary as one JSON object on stdout (progress still goes to stderr).
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Use this Redis instead of starting one (standalone URL).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// Short runs: the whole benchmark in under a minute.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Each measurement for a moment only: checks that every row runs and is reported (the
    /// project's tests use it); the figures mean nothing.
    #[arg(long, conflicts_with = "quick")]
    pub(crate) smoke: bool,
    /// Print one JSON object on stdout (progress still goes to stderr).
    #[arg(long)]
    pub(crate) json: bool,
    /// Run only these workloads (comma-separated); all of them by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(crate) only: Vec<Workload>,
}

/// One of the benchmark's workloads.
#[cfg(feature = "bench")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Workload {
    /// Every task locks and releases its own keys.
    Uncontended,
    /// Eight tasks on one key.
    Contended,
    /// 10,000 auto-refreshed locks.
    Refresh,
    /// The in-process backend.
    Memory,
    /// Semaphore permits and reader-writer locks.
    Family,
    /// lock-redis side by side with rslock, another Rust lock library.
    Peers,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print JSON (one array) instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct NameArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The lock name (without the prefix).
    pub(crate) name: String,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The lock name (without the prefix).
    pub(crate) name: String,
    /// Release only if this token holds it.
    #[arg(long, conflicts_with = "force")]
    pub(crate) token: Option<String>,
    /// Delete the lock whoever holds it.
    #[arg(long)]
    pub(crate) force: bool,
    /// With `--force`, do not ask for confirmation.
    #[arg(long)]
    pub(crate) yes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Redis URL, as for the other commands (`redis-cluster://...` checks every master).
    #[arg(long, env = "LOCKCTL_URL", default_value = "redis://127.0.0.1:6379/")]
    pub(crate) url: String,
    /// Print one JSON object instead of a report.
    #[arg(long)]
    pub(crate) json: bool,
}
