//! The in-process backend.

mod backend;

pub use backend::MemoryBackend;
