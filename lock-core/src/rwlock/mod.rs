//! Reader-writer locks, over any backend that offers them.

mod handle;
mod view;

pub use handle::RwLock;
