//! Errors: [`Error`] for users, [`BackendError`] for what a store reports.

mod backend_error;
mod user_error;

pub use backend_error::{BackendError, BackendErrorKind, BoxError};
pub use user_error::{Error, LossReason, Result};
