//! The whole conformance suite against the in-process reference backend.

lock_testkit::conformance_suite!(memory, async { lock_core::MemoryBackend::new() });

lock_testkit::conformance_suite!(memory_quorum, async {
    lock_core::Quorum::new([
        lock_core::MemoryBackend::new(),
        lock_core::MemoryBackend::new(),
        lock_core::MemoryBackend::new(),
    ])
});
