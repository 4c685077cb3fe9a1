//! The in-process backend.

mod backend;
mod guarded;
mod rwlock;
mod semaphore;

pub use backend::MemoryBackend;
