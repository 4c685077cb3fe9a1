//! The fault battery: scenarios that run a workload against real Redis while faults are
//! injected, then check the history (no overlaps, fences in order, no accepted stale write),
//! what is left behind (keys, channels, tasks), and panics. Each prints a [`ScenarioReport`].
//!
//! A backend crate runs every scenario with one macro (see [`crate::redis_checks::Connectors`]):
//!
//! ```ignore
//! lock_testkit::battery!(my_connectors());
//! ```
//!
//! A per-PR set runs by default (about a minute per backend: kills, lost replies for every kind
//! of lock, a stop, a restart, a late grant, cancellation, abort, the quorum arithmetic and a
//! failover to a lagging replica); the rest, the scenarios outside the timing model and the
//! long ones, run only with `LOCK_BATTERY_FULL=1`.
//! The scenarios of one test binary run one at a time. `LOCK_BATTERY_REPORT=<file>` appends
//! each report as a JSON line.

mod quiesce;
mod report;
mod runner;
mod scenarios;
mod workload;

pub use report::{REPORT_ENV, ScenarioReport};
pub use runner::{CHILD_ENV, FULL_ENV};
#[doc(hidden)]
pub use runner::{child_entry, run_scenario};

/// Generates one `#[test]` per battery scenario, plus the hidden test a scenario re-runs as a
/// child process; `$connectors` is an expression building a
/// [`crate::redis_checks::Connectors`], evaluated in each test.
#[macro_export]
macro_rules! battery {
    ($connectors:expr $(,)?) => {
        $crate::__battery_tests!($connectors;
            b0_baseline,
            b1_connection_kills,
            b2_lost_replies,
            b3a_restart_without_persistence,
            b3b_restart_with_aof,
            b4a_server_stopped,
            b4b_client_pause,
            b5_slow_network,
            b5b_late_grant,
            b6_holder_paused_past_its_lease,
            b8_cancellation,
            b9_process_abort,
            b10_redlock_minority_and_majority_down,
            b11_redlock_restart_without_delay,
            b12_quorum_arithmetic,
            b13_sentinel_failover,
            b13b_sentinel_failover_lagging_replica,
            b14_cluster_failover,
            b14b_cluster_failover_lagging_replica,
            b16_randomized_soak,
            b17_refreshed_holds,
            b17b_refreshed_holds_long,
            b18_eviction,
            b19a_semaphore_kills_and_stops,
            b19b_semaphore_lost_replies,
            b19c_semaphore_restarts,
            b20a_rw_lock_kills_and_stops,
            b20b_rw_lock_lost_replies,
            b20c_rw_lock_restarts,
            b21a_fair_lock_kills_and_stops,
            b21b_fair_lock_lost_replies,
            b21c_fair_lock_restarts,
        );
        /// Not a test: the child process some battery scenarios start (does nothing otherwise).
        #[test]
        fn battery_child_process() {
            $crate::battery::child_entry(|| $connectors);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __battery_tests {
    ($connectors:expr; $($scenario:ident,)*) => {
        $(
            #[test]
            fn $scenario() {
                $crate::battery::run_scenario(stringify!($scenario), || $connectors);
            }
        )*
    };
}
