//! The scenarios, by fault.

pub(crate) mod abort;
pub(crate) mod baseline;
pub(crate) mod cancellation;
pub(crate) mod cluster_failover;
mod common;
pub(crate) mod connections;
pub(crate) mod eviction;
pub(crate) mod family;
pub(crate) mod holder_pause;
pub(crate) mod lagging_replica;
pub(crate) mod late_grant;
pub(crate) mod lost_replies;
pub(crate) mod pause;
pub(crate) mod redlock;
pub(crate) mod refreshed_holds;
pub(crate) mod restart;
pub(crate) mod sentinel_failover;
pub(crate) mod slow_network;
pub(crate) mod soak;
