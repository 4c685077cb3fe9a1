//! The backend contract, for authors of a store: [`LockBackend`] (the few atomic primitives a
//! store must offer, and the provided calls for the other kinds of lease), what its calls take
//! and answer, and [`Capabilities`], the one description of what a store can do. A program that
//! only takes locks needs [`LockBackend`] and [`DynLockBackend`], which the crate root and the
//! prelude re-export. Check a backend with the conformance suite of `lock-testkit`.

mod batch;
mod capabilities;
mod contract;
mod forward;
mod guarded;
mod lease;
mod multi;
mod outcome;

pub use crate::timing::{ttl_millis, validate_ttl};
pub use async_trait::async_trait;
pub use batch::ExtendItem;
pub use capabilities::{BackendInfo, Capabilities};
pub use contract::{BackendFuture, DynLockBackend, LockBackend};
pub use guarded::{GuardedWriteBackend, WriteOutcome};
pub use lease::{Lease, LeaseHolder, LeaseHolders, LeaseKind, RwMode};
pub use multi::MultiAcquireOutcome;
pub use outcome::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome, ReleaseWatch};
