//! Redis-specific checks for lock-redis: interop with foreign clients, recovery from
//! `SCRIPT FLUSH`, restarts and killed connections, release notification without channel leaks,
//! a least-privilege ACL user, and foreign data under a lock key.

mod common;

lock_testkit::redis_checks!(common::connectors());
