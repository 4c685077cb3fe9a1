//! Running one check by name.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::Connectors;
use crate::failure::CaseResult;
use crate::server::redis_available;

type Check = for<'a> fn(&'a Connectors) -> BoxFuture<'a, CaseResult>;

fn find(name: &str) -> Option<Check> {
    let checks: [(&str, Check); 30] = [
        ("foreign_clients_exclude_and_are_excluded", |c| {
            Box::pin(super::foreign_clients_exclude_and_are_excluded(c))
        }),
        ("lock_value_is_the_plain_token", |c| Box::pin(super::lock_value_is_the_plain_token(c))),
        ("foreign_data_is_a_clear_error", |c| Box::pin(super::foreign_data_is_a_clear_error(c))),
        ("hostile_input_is_inert", |c| Box::pin(super::hostile_input_is_inert(c))),
        ("keyspace_events_wake_waiters_on_foreign_deletes", |c| {
            Box::pin(super::keyspace_events_wake_waiters_on_foreign_deletes(c))
        }),
        ("script_flush_is_recovered", |c| Box::pin(super::script_flush_is_recovered(c))),
        ("server_restart_is_recovered", |c| Box::pin(super::server_restart_is_recovered(c))),
        ("killed_connections_are_recovered", |c| {
            Box::pin(super::killed_connections_are_recovered(c))
        }),
        ("notification_leaves_no_channels", |c| {
            Box::pin(super::notification_leaves_no_channels(c))
        }),
        ("sharded_notification_leaves_no_channels", |c| {
            Box::pin(super::sharded_notification_leaves_no_channels(c))
        }),
        ("sharded_notification_follows_a_slot_migration", |c| {
            Box::pin(super::sharded_notification_follows_a_slot_migration(c))
        }),
        ("least_privilege_user_runs_the_suite", |c| {
            Box::pin(super::least_privilege_user_runs_the_suite(c))
        }),
        ("a_lost_fence_counter_is_recreated_by_a_reacquire", |c| {
            Box::pin(super::a_lost_fence_counter_is_recreated_by_a_reacquire(c))
        }),
        ("fencing_off_writes_no_counter", |c| Box::pin(super::fencing_off_writes_no_counter(c))),
        ("fence_records_are_dropped_with_their_key", |c| {
            Box::pin(super::fence_records_are_dropped_with_their_key(c))
        }),
        ("an_extension_keeps_the_fence_counter", |c| {
            Box::pin(super::an_extension_keeps_the_fence_counter(c))
        }),
        ("many_expired_permits_are_swept_in_one_acquire", |c| {
            Box::pin(super::many_expired_permits_are_swept_in_one_acquire(c))
        }),
        ("auto_refresh_batches_its_extends", |c| {
            Box::pin(super::auto_refresh_batches_its_extends(c))
        }),
        ("a_fair_handoff_is_lean", |c| Box::pin(super::a_fair_handoff_is_lean(c))),
        ("a_lost_fair_queue_is_rebuilt_by_renewals", |c| {
            Box::pin(super::a_lost_fair_queue_is_rebuilt_by_renewals(c))
        }),
        ("a_release_publishes_only_for_waiters", |c| {
            Box::pin(super::a_release_publishes_only_for_waiters(c))
        }),
        ("unfenced_acquire_is_one_command", |c| {
            Box::pin(super::unfenced_acquire_is_one_command(c))
        }),
        ("fences_follow_the_server_clock", |c| Box::pin(super::fences_follow_the_server_clock(c))),
        ("fences_rise_when_the_clock_is_behind_the_counter", |c| {
            Box::pin(super::fences_rise_when_the_clock_is_behind_the_counter(c))
        }),
        ("a_foreign_holder_has_no_fence", |c| Box::pin(super::a_foreign_holder_has_no_fence(c))),
        ("fences_rise_after_the_counter_expired_under_a_refreshed_lock", |c| {
            Box::pin(super::fences_rise_after_the_counter_expired_under_a_refreshed_lock(c))
        }),
        ("old_counters_are_taken_over", |c| Box::pin(super::old_counters_are_taken_over(c))),
        ("no_key_is_left_without_an_expiry", |c| {
            Box::pin(super::no_key_is_left_without_an_expiry(c))
        }),
        ("guarded_writes_take_any_key_on_a_server", |c| {
            Box::pin(super::guarded_writes_take_any_key_on_a_server(c))
        }),
        ("guarded_writes_need_the_locks_slot_on_a_cluster", |c| {
            Box::pin(super::guarded_writes_need_the_locks_slot_on_a_cluster(c))
        }),
    ];
    checks.into_iter().find(|(n, _)| *n == name).map(|(_, check)| check)
}

/// Runs the check called `name` (the body of each test `redis_checks!` generates): skipped when
/// no Redis is installed, a panic when it fails.
pub fn run_check(name: &str, connectors: impl FnOnce() -> Connectors) {
    if !redis_available() {
        return;
    }
    let Some(check) = find(name) else { panic!("lock-testkit has no Redis check named `{name}`") };
    let _timer = crate::timings::Timer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
    let connectors = connectors();
    let result = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(120), check(&connectors)).await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(failure)) if failure.is_skip() => {
            crate::failure::announce_skip(format_args!("{name}: {}", failure.message()))
        }
        Ok(Err(failure)) => panic!("Redis check `{name}` failed: {failure}"),
        Err(_) => panic!("Redis check `{name}` did not finish within 120 s"),
    }
}
