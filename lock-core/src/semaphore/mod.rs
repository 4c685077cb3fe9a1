//! Counting semaphores with leased permits, over any backend that offers them.

mod handle;
mod view;

pub use handle::Semaphore;
