//! Auto-refresh: one task per manager extends every auto-refreshed guard from a timer queue.

mod queue;
mod refresher;

pub(crate) use refresher::{RefreshSettings, Refresher};
