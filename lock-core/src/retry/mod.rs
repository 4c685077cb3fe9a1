//! How an acquire retries: backoff shape, jitter and budget.

mod policy;

pub use policy::{DEFAULT_MAX_WAIT, MAX_RETRY_DELAY, MIN_RETRY_DELAY, RetryPolicy};
