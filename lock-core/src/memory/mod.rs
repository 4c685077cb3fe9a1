//! The in-process backend.

mod backend;
mod batch;
mod fair;
mod guarded;
mod metadata;
mod multi;
mod rwlock;
mod semaphore;

pub use backend::MemoryBackend;
