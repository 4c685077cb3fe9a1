//! A skipped case shows in `cargo test` output without `--nocapture` (it still counts as
//! passed): this binary runs itself for one skipping case and reads its stderr.

use std::process::Command;

/// A quorum advertises no fencing, so the fencing case skips on it.
#[test]
fn a_case_that_skips() {
    lock_testkit::suite::run_named("fencing_increases_across_releases", || async {
        lock_core::Quorum::new([
            lock_core::MemoryBackend::new(),
            lock_core::MemoryBackend::new(),
            lock_core::MemoryBackend::new(),
        ])
        .expect("three nodes")
    });
}

#[test]
fn skips_are_visible_without_nocapture() {
    let exe = std::env::current_exe().expect("this test binary");
    let out = Command::new(exe)
        .args(["--exact", "a_case_that_skips", "--test-threads", "1"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SKIP fencing_increases_across_releases: "), "stderr: {stderr}");
}
