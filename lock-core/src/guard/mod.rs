//! Guards: what an acquisition hands back, and how loss is signalled.

mod guarded_writes;
mod handle;
mod handover;
mod lock_guard;
mod lost;
mod shared;

pub(crate) use guarded_writes::{check_data_name, writes_of};
pub use handle::LockHandle;
pub use handover::Handover;
pub use lock_guard::LockGuard;
pub use lost::Lost;
pub(crate) use shared::{Acquisition, GuardShared, both};
