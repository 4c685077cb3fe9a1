//! Running one scenario: serialized, on its own runtime, with panics and tasks counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::report::ScenarioReport;
use super::scenarios;
use super::workload::Primitive;
use crate::failure::Failure;
use crate::redis_checks::Connectors;
use crate::server::redis_available;

/// Environment variable: `1` runs the scenarios outside the timing model and the long ones.
pub const FULL_ENV: &str = "LOCK_BATTERY_FULL";

/// Environment variable set for a child process a scenario starts.
pub const CHILD_ENV: &str = "LOCK_BATTERY_CHILD";

type Scenario = for<'a> fn(&'a Connectors) -> BoxFuture<'a, Result<ScenarioReport, Failure>>;

/// Scenario name, whether it needs [`FULL_ENV`], and the scenario.
fn find(name: &str) -> Option<(bool, Scenario)> {
    let all: [(&str, bool, Scenario); 32] = [
        ("b0_baseline", true, |c| Box::pin(scenarios::baseline::run(c))),
        ("b1_connection_kills", false, |c| Box::pin(scenarios::connections::run(c))),
        ("b2_lost_replies", false, |c| Box::pin(scenarios::lost_replies::run(c))),
        ("b3a_restart_without_persistence", false, |c| {
            Box::pin(scenarios::restart::without_persistence(c))
        }),
        ("b3b_restart_with_aof", true, |c| Box::pin(scenarios::restart::with_aof(c))),
        ("b4a_server_stopped", false, |c| Box::pin(scenarios::pause::stopped(c))),
        ("b4b_client_pause", true, |c| Box::pin(scenarios::pause::client_pause(c))),
        ("b5_slow_network", true, |c| Box::pin(scenarios::slow_network::run(c))),
        ("b5b_late_grant", false, |c| Box::pin(scenarios::late_grant::run(c))),
        ("b6_holder_paused_past_its_lease", true, |c| Box::pin(scenarios::holder_pause::run(c))),
        ("b8_cancellation", false, |c| Box::pin(scenarios::cancellation::run(c))),
        ("b9_process_abort", false, |c| Box::pin(scenarios::abort::run(c))),
        ("b10_redlock_minority_and_majority_down", true, |c| {
            Box::pin(scenarios::redlock::nodes_down(c))
        }),
        ("b11_redlock_restart_without_delay", true, |c| {
            Box::pin(scenarios::redlock::restart_without_delay(c))
        }),
        ("b12_quorum_arithmetic", false, |c| Box::pin(scenarios::redlock::arithmetic(c))),
        ("b13_sentinel_failover", true, |c| Box::pin(scenarios::sentinel_failover::run(c))),
        ("b13b_sentinel_failover_lagging_replica", true, |c| {
            Box::pin(scenarios::lagging_replica::sentinel(c))
        }),
        ("b14_cluster_failover", true, |c| Box::pin(scenarios::cluster_failover::run(c))),
        ("b14b_cluster_failover_lagging_replica", false, |c| {
            Box::pin(scenarios::lagging_replica::cluster(c))
        }),
        ("b16_randomized_soak", true, |c| Box::pin(scenarios::soak::run(c))),
        ("b17_refreshed_holds", true, |c| Box::pin(scenarios::refreshed_holds::short(c))),
        ("b17b_refreshed_holds_long", true, |c| Box::pin(scenarios::refreshed_holds::long(c))),
        ("b18_eviction", true, |c| Box::pin(scenarios::eviction::run(c))),
        ("b19a_semaphore_kills_and_stops", true, |c| {
            Box::pin(scenarios::family::kills_and_stops(c, Primitive::Semaphore(3)))
        }),
        ("b19b_semaphore_lost_replies", false, |c| {
            Box::pin(scenarios::family::lost_replies(c, Primitive::Semaphore(3)))
        }),
        ("b19c_semaphore_restarts", true, |c| {
            Box::pin(scenarios::family::restarts(c, Primitive::Semaphore(3)))
        }),
        ("b20a_rw_lock_kills_and_stops", true, |c| {
            Box::pin(scenarios::family::kills_and_stops(c, Primitive::RwLock))
        }),
        ("b20b_rw_lock_lost_replies", false, |c| {
            Box::pin(scenarios::family::lost_replies(c, Primitive::RwLock))
        }),
        ("b20c_rw_lock_restarts", true, |c| {
            Box::pin(scenarios::family::restarts(c, Primitive::RwLock))
        }),
        ("b21a_fair_lock_kills_and_stops", true, |c| {
            Box::pin(scenarios::family::kills_and_stops(c, Primitive::FairLock))
        }),
        ("b21b_fair_lock_lost_replies", false, |c| {
            Box::pin(scenarios::family::lost_replies(c, Primitive::FairLock))
        }),
        ("b21c_fair_lock_restarts", true, |c| {
            Box::pin(scenarios::family::restarts(c, Primitive::FairLock))
        }),
    ];
    all.into_iter().find(|(n, _, _)| *n == name).map(|(_, full, s)| (full, s))
}

static PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts every panic of the process (then runs the previous hook).
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

fn full_enabled() -> bool {
    std::env::var(FULL_ENV).is_ok_and(|v| v == "1")
}

/// Runs the scenario called `name` (the body of each test `battery!` generates).
pub fn run_scenario(name: &str, connectors: impl FnOnce() -> Connectors) {
    if std::env::var(CHILD_ENV).is_ok() || !redis_available() {
        return;
    }
    let Some((full, scenario)) = find(name) else {
        panic!("lock-testkit has no battery scenario `{name}`")
    };
    if full && !full_enabled() {
        crate::failure::announce_skip(format_args!("{name}: set {FULL_ENV}=1 to run it"));
        return;
    }
    // One scenario at a time: they measure timing on a 2-core machine.
    static SERIAL: Mutex<()> = Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _timer = crate::timings::Timer::start();
    count_panics();
    let panics_before = PANICS.load(Ordering::SeqCst);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
    let connectors = connectors();
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        let metrics = tokio::runtime::Handle::current().metrics();
        let baseline = metrics.num_alive_tasks();
        let result = tokio::time::timeout(Duration::from_secs(300), scenario(&connectors)).await;
        // Everything the scenario made is dropped by now; background tasks wind down (a
        // Quorum's node call still in flight is given up to ten node timeouts, and a release
        // waits for the call before it; a task alive after 10 s is a leak).
        let mut leaked = metrics.num_alive_tasks().saturating_sub(baseline);
        for _ in 0..200 {
            if leaked == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            leaked = metrics.num_alive_tasks().saturating_sub(baseline);
        }
        (result, leaked as u64)
    });
    drop(connectors);
    runtime.shutdown_timeout(Duration::from_secs(2));
    let (result, leaked_tasks) = outcome;
    let mut report = match result {
        Ok(Ok(report)) => report,
        Ok(Err(failure)) if failure.is_skip() => {
            crate::failure::announce_skip(format_args!("{name}: {}", failure.message()));
            return;
        }
        Ok(Err(failure)) => panic!("battery scenario `{name}` failed: {failure}"),
        Err(_) => panic!("battery scenario `{name}` did not finish within 300 s"),
    };
    report.leaked_tasks = leaked_tasks;
    report.panics = PANICS.load(Ordering::SeqCst) - panics_before;
    if report.duration_ms == 0 {
        report.duration_ms = started.elapsed().as_millis() as u64;
    }
    println!("{report}");
    report.save();
    assert_eq!(report.panics, 0, "panics during `{name}`: {report}");
    assert_eq!(report.leaked_tasks, 0, "tasks left after `{name}`: {report}");
}

/// The hidden test's body: in a child process started by a scenario, plays the child's part.
pub fn child_entry(connectors: impl FnOnce() -> Connectors) {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
    let connectors = connectors();
    runtime.block_on(scenarios::abort::child(&connectors, &spec));
}
