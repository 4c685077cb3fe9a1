//! The conformance suite for `lock-core` backends.
//!
//! Any [`lock_core::LockBackend`], ours or yours, proves it keeps the contract by running this
//! suite: one line in the backend crate's tests generates one `#[test]` per case.
//!
//! ```
//! // In tests/conformance.rs of your backend crate:
//! lock_testkit::conformance_suite!(memory, async { lock_core::MemoryBackend::new() });
//! # fn main() {}
//! ```
//!
//! `cargo test` then runs `memory::acquire_takes_a_free_key`, `memory::mutual_exclusion_under_contention`
//! and the rest; `cargo test memory::release` runs a subset. What a case needs is a
//! [`lock_core::backend::Capabilities`] ([`Case::requires`]), the same description the manager reads:
//! a case that needs what the backend's `info()` does not advertise (fencing, release
//! notification, a kind of lease, lock sets, batched extends, guarded writes) is skipped with a
//! message saying which ([`missing`]). A backend that implements only the plain lock passes the
//! suite with those cases skipped; `kinds_not_offered_are_unsupported` then checks that every
//! kind it does not advertise answers `Unsupported`. [`run_suite`] runs the same cases and
//! returns a [`SuiteReport`] instead.
//!
//! Every case works under its own random key prefix (`lock:conformance:<random>:`) and never
//! flushes anything, so the suite can run against a shared or production-like server. Set
//! `LOCK_TEST_TTL_SCALE=2` (or more) on a slow machine or a remote server: every ttl and time
//! bound is multiplied by it.
//!
//! The cases check the `# Behavior` bullets of each [`lock_core::LockBackend`] method (the
//! bullet ids, like `A3`, are in each case's doc), then the whole lock API through
//! [`lock_core::LockManager`] over the backend: waiting, retry, auto-refresh, loss signalling,
//! cancellation, hand-over, and a 16 × 50 mutual-exclusion run.
//!
//! The Redis fault lab (the `server` harness that starts real `redis-server` processes, the
//! `proxy` that injects faults, the `battery` and the `redis_checks`) is behind the
//! feature `redis-server`. It stays in this crate, not a second one, on purpose: whoever runs
//! the suite against their own Redis needs both halves, one version keeps them in step, and
//! without the feature the suite builds with none of the lab's dependencies (CI checks that
//! lean build on its own).
//!
//! This crate is a test tool: its API may change between minor versions.
// docs.rs (nightly, `--cfg docsrs`) marks each item with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "redis-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-server")))]
pub mod battery;
pub mod cases;
mod context;
pub mod differential;
mod failure;
pub mod history;
#[cfg(feature = "redis-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-server")))]
pub mod proxy;
#[cfg(feature = "redis-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-server")))]
pub mod redis_checks;
#[cfg(feature = "redis-server")]
mod resp;
#[cfg(feature = "redis-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-server")))]
pub mod server;
pub mod sim;
pub mod suite;
mod timings;
#[cfg(feature = "redis-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-server")))]
pub mod warnings;

pub use context::{SUITE_PREFIX, TTL_SCALE_ENV, TestContext};
pub use failure::{CaseResult, Failure};
pub use suite::{
    CASES, Case, CaseOutcome, CaseReport, SuiteOptions, SuiteReport, missing, run_case, run_suite,
};
pub use timings::TIMINGS_ENV;
