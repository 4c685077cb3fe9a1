//! The conformance cases, one module per part of the contract. Each case is a plain
//! `pub async fn(TestContext) -> CaseResult`, usable on its own; its doc names the `# Behavior`
//! bullet of `lock_core::LockBackend` it checks.

pub mod acquire;
pub mod batch;
pub mod capabilities;
pub mod exclusion;
pub mod extend;
pub mod fair;
mod fair_probe;
pub mod fencing;
pub mod guarded;
pub mod inspect;
pub mod keys;
pub mod kinds;
pub mod lifecycle;
pub mod metadata;
pub mod multi;
pub mod refresh;
pub mod release;
pub mod rwlock;
pub mod semaphore;
mod util;
pub mod waiting;
pub mod watch;
