//! The backend contract: the few atomic primitives a store must offer.

mod batch;
mod capabilities;
mod contract;
mod fair;
mod forward;
mod guarded;
mod metadata;
mod multi;
mod outcome;
mod rwlock;
mod semaphore;

pub use batch::{BatchExtendBackend, ExtendItem};
pub use capabilities::{BackendInfo, Capabilities};
pub use contract::{BackendFuture, DynLockBackend, LockBackend};
pub use fair::FairLockBackend;
pub use guarded::{GuardedWriteBackend, WriteOutcome};
pub use metadata::MetadataBackend;
pub use multi::{MultiAcquireOutcome, MultiLockBackend};
pub use outcome::{AcquireOutcome, ExtendOutcome, LockInfo, ReleaseOutcome, ReleaseWatch};
pub use rwlock::{RwHolder, RwLockBackend, RwMode};
pub use semaphore::SemaphoreBackend;
