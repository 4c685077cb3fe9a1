//! The backend contract: the few atomic primitives a store must offer.

mod batch;
mod capabilities;
mod contract;
mod forward;
mod guarded;
mod lease;
mod multi;
mod outcome;

pub use batch::ExtendItem;
pub use capabilities::{BackendInfo, Capabilities};
pub use contract::{BackendFuture, DynLockBackend, LockBackend};
pub use guarded::{GuardedWriteBackend, WriteOutcome};
pub use lease::{Lease, LeaseHolder, LeaseHolders, LeaseKind, RwMode};
pub use multi::MultiAcquireOutcome;
pub use outcome::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome, ReleaseWatch};
