//! The in-process backend.

mod backend;
mod guarded;
mod metadata;
mod rwlock;
mod semaphore;

pub use backend::MemoryBackend;
