//! Reader-writer locks, over any backend that offers them.

mod handle;
mod upgrade;

pub use handle::RwLock;
pub use upgrade::{Upgrade, UpgradeError};
