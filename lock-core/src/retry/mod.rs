//! How an acquire retries: backoff shape, jitter and budget.

mod policy;

pub use policy::{MAX_RETRY_DELAY, MIN_RETRY_DELAY, RetryPolicy};
