//! The lock manager: the user-facing API over a backend.

mod acquire;
mod builder;
mod hold;
mod inner;
mod lock_manager;
mod queue;
mod request;
mod wait;

pub(crate) use acquire::{Grant, Lease, guard_for};
pub use builder::LockManagerBuilder;
pub(crate) use hold::{Hold, Terms};
pub(crate) use inner::ManagerInner;
pub use lock_manager::LockManager;
pub(crate) use queue::Lane;
pub use request::LockRequest;
pub(crate) use wait::{Line, Wait};
