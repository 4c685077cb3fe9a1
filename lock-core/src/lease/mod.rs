//! The lease engine's one adapter: what a request leases (a lock with metadata, a permit, a
//! reader-writer hold, a place in a fair line) is an argument, and the manager's one acquire
//! loop, guards, refresher and releases work on every kind through it.

mod view;

use std::time::Duration;

/// How long a fair waiter's place in the store's queue lives after its last attempt. A waiter
/// renews it at least every third of this while it waits; a waiter that died is dropped from
/// the line after it, and a lock handed to it lapses after it at the latest.
pub const FAIR_QUEUE_TTL: Duration = Duration::from_secs(3);

pub(crate) use view::{LeaseKind, LeaseView};
