//! The in-process backend.

mod backend;
mod semaphore;

pub use backend::MemoryBackend;
