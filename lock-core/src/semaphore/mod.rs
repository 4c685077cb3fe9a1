//! Counting semaphores with leased permits, over any backend that offers them.

mod handle;

pub use handle::Semaphore;
