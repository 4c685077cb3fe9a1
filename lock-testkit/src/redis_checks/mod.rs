//! Checks that only make sense on real Redis, for any Redis-protocol backend: interoperation
//! with other clients, recovery from restarts and killed connections, release notification
//! that leaves no channel behind, least-privilege ACL users, and keys holding foreign data.
//! [`sharded_notification_follows_a_slot_migration`] is not in the macro: run it by name with
//! `run_check` where the client can see a server drop a subscription (lock-fred cannot yet).
//!
//! A backend crate runs all of them with one macro, given how to connect:
//!
//! ```ignore
//! lock_testkit::redis_checks!(lock_testkit::redis_checks::Connectors {
//!     standalone: Box::new(|url| Box::pin(async move { Ok(Arc::new(MyBackend::connect(&url).await?) as _) })),
//!     cluster: Box::new(|urls| Box::pin(async move { Ok(Arc::new(MyBackend::cluster(urls).await?) as _) })),
//! });
//! ```

mod acl;
mod connectors;
mod cost;
mod fair_line;
mod family;
mod fencing;
mod foreign;
mod guarded;
mod migration;
mod notify;
mod recovery;
mod runner;
mod util;
mod wait_mode;

pub use acl::{LEAST_PRIVILEGE_RULES, least_privilege_user_runs_the_suite};
pub use connectors::{Connectors, Factory, SentinelTarget};
pub use cost::{
    a_release_publishes_only_for_waiters, auto_refresh_batches_its_extends,
    unfenced_acquire_is_one_command,
};
pub use fair_line::{a_fair_handoff_is_lean, a_lost_fair_queue_is_rebuilt_by_renewals};
pub use family::many_expired_permits_are_swept_in_one_acquire;
pub use fencing::{
    a_foreign_holder_has_no_fence, a_lost_fence_counter_is_recreated_by_a_reacquire,
    an_extension_keeps_the_fence_counter, fences_follow_the_server_clock,
    fences_rise_after_the_counter_expired_under_a_refreshed_lock,
    fences_rise_when_the_clock_is_behind_the_counter, fencing_off_writes_no_counter,
    no_key_is_left_without_an_expiry, old_counters_are_taken_over,
};
pub use foreign::{
    foreign_clients_exclude_and_are_excluded, foreign_data_is_a_clear_error,
    hostile_input_is_inert, keyspace_events_wake_waiters_on_foreign_deletes,
    lock_value_is_the_plain_token,
};
pub use guarded::{
    fence_records_are_dropped_with_their_key, guarded_writes_need_the_locks_slot_on_a_cluster,
    guarded_writes_take_any_key_on_a_server,
};
pub use migration::sharded_notification_follows_a_slot_migration;
pub use notify::{notification_leaves_no_channels, sharded_notification_leaves_no_channels};
pub use recovery::{
    killed_connections_are_recovered, script_flush_is_recovered, server_restart_is_recovered,
};
#[doc(hidden)]
pub use runner::run_check;
pub use wait_mode::{
    add_user_who_cannot_delete, wait_mode_needs_the_replica, wait_mode_reports_a_failed_give_back,
};

/// Generates one `#[test]` per Redis check, each on its own runtime; `$connectors` is an
/// expression building a [`Connectors`], evaluated in each test.
#[macro_export]
macro_rules! redis_checks {
    ($connectors:expr $(,)?) => {
        $crate::__redis_check_tests!($connectors;
            foreign_clients_exclude_and_are_excluded,
            lock_value_is_the_plain_token,
            foreign_data_is_a_clear_error,
            hostile_input_is_inert,
            keyspace_events_wake_waiters_on_foreign_deletes,
            script_flush_is_recovered,
            server_restart_is_recovered,
            killed_connections_are_recovered,
            notification_leaves_no_channels,
            sharded_notification_leaves_no_channels,
            least_privilege_user_runs_the_suite,
            a_lost_fence_counter_is_recreated_by_a_reacquire,
            an_extension_keeps_the_fence_counter,
            fencing_off_writes_no_counter,
            fences_follow_the_server_clock,
            fences_rise_when_the_clock_is_behind_the_counter,
            a_foreign_holder_has_no_fence,
            fences_rise_after_the_counter_expired_under_a_refreshed_lock,
            old_counters_are_taken_over,
            no_key_is_left_without_an_expiry,
            guarded_writes_take_any_key_on_a_server,
            guarded_writes_need_the_locks_slot_on_a_cluster,
            fence_records_are_dropped_with_their_key,
            auto_refresh_batches_its_extends,
            many_expired_permits_are_swept_in_one_acquire,
        );
    };
}

/// Generates the checks of how a backend built on lock-redis-protocol's `ScriptBackend` (as
/// lock-redis and lock-fred are) uses the server, which another Redis backend need not copy:
/// with fencing off (`$unfenced`, a [`Connectors`] expression whose backends issue no fences)
/// no counter is written and a free lock is one `SET NX PX`, and with fencing on and off a
/// release publishes only for a waiter's mark, a fair handoff stays lean and a lost fair queue
/// key is rebuilt.
///
/// ```ignore
/// lock_testkit::script_backend_checks!(common::connectors(), common::unfenced_connectors());
/// ```
#[macro_export]
macro_rules! script_backend_checks {
    ($connectors:expr, $unfenced:expr $(,)?) => {
        /// The checks that look at the fencing counter, with fencing off.
        #[test]
        fn fencing_off_writes_no_counter_when_off() {
            $crate::redis_checks::run_check("fencing_off_writes_no_counter", || $unfenced);
        }

        /// With fencing off, a free lock is one plain `SET NX PX` and a cycle 4 commands.
        #[test]
        fn unfenced_acquire_is_one_command() {
            $crate::redis_checks::run_check("unfenced_acquire_is_one_command", || $unfenced);
        }

        /// A fair handoff costs the server at most 26 commands (23 unfenced), fenced and not.
        #[test]
        fn a_fair_handoff_is_lean() {
            $crate::redis_checks::run_check("a_fair_handoff_is_lean", || $connectors);
            $crate::redis_checks::run_check("a_fair_handoff_is_lean", || $unfenced);
        }

        /// A fair line whose queue key was lost is rebuilt by its waiters' renewals.
        #[test]
        fn a_lost_fair_queue_is_rebuilt_by_renewals() {
            $crate::redis_checks::run_check("a_lost_fair_queue_is_rebuilt_by_renewals", || {
                $connectors
            });
        }

        /// A release publishes only for a waiter's mark, fenced and not.
        #[test]
        fn a_release_publishes_only_for_waiters() {
            $crate::redis_checks::run_check("a_release_publishes_only_for_waiters", || $connectors);
            $crate::redis_checks::run_check("a_release_publishes_only_for_waiters", || $unfenced);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __redis_check_tests {
    ($connectors:expr; $($check:ident,)*) => {
        $(
            #[test]
            fn $check() {
                $crate::redis_checks::run_check(stringify!($check), || $connectors);
            }
        )*
    };
}
