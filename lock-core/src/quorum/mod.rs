//! Redlock: one lock over several independent stores.

mod backend;
mod builder;
mod sequence;
mod tally;

pub use backend::Quorum;
pub use builder::{DEFAULT_NODE_TIMEOUT, QuorumBuilder};
