//! The in-process backend.

mod backend;
mod rwlock;
mod semaphore;

pub use backend::MemoryBackend;
