//! All-or-nothing locks on a set of names: one guard for every member.

mod atomic;
mod guard;
mod request;

pub use guard::MultiGuard;
pub use request::MultiLockRequest;
