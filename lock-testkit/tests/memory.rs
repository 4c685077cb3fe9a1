//! The whole conformance suite against the in-process reference backend.

lock_testkit::conformance_suite!(memory, async { lock_core::MemoryBackend::new() });
