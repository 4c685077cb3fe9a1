//! Redis-specific checks for lock-redis: interop with foreign clients, recovery from
//! `SCRIPT FLUSH`, restarts and killed connections, release notification without channel leaks,
//! a least-privilege ACL user, foreign data under a lock key, and a cluster slot migration.

mod common;

lock_testkit::redis_checks!(common::connectors());

#[test]
fn sharded_notification_follows_a_slot_migration() {
    lock_testkit::redis_checks::run_check(
        "sharded_notification_follows_a_slot_migration",
        common::connectors,
    );
}

lock_testkit::script_backend_checks!(common::connectors(), common::unfenced_connectors());
