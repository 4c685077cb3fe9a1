//! Per-test timings for CI. With `LOCK_TEST_TIMINGS=<file>` set, each conformance case, Redis
//! check and battery scenario appends one line to the file when it ends (passed, skipped or
//! failed): its seconds, a tab, and `<package> <test binary> <test name>`. `.ci/run` prints
//! the slowest.

use std::fs::OpenOptions;
use std::io::Write;
use std::time::Instant;

/// The environment variable naming the file the timings are appended to.
pub const TIMINGS_ENV: &str = "LOCK_TEST_TIMINGS";

/// Records the time from its creation to its drop, when [`TIMINGS_ENV`] is set.
pub(crate) struct Timer {
    started: Instant,
}

impl Timer {
    pub(crate) fn start() -> Self {
        Self { started: Instant::now() }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let Some(path) = std::env::var_os(TIMINGS_ENV) else { return };
        // libtest names each test's thread after the test; cargo names the package; the
        // binary's name loses its hash.
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("?");
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
        let binary = std::env::current_exe().ok().and_then(|exe| {
            let stem = exe.file_stem()?.to_string_lossy().into_owned();
            Some(stem.rsplit_once('-').map_or(stem.clone(), |(name, _)| name.to_owned()))
        });
        let line = format!(
            "{:.2}\t{package} {} {test}\n",
            self.started.elapsed().as_secs_f64(),
            binary.as_deref().unwrap_or("?")
        );
        // One short write per line to a file opened for appending: lines from parallel tests
        // do not interleave. A timing that cannot be written is not worth failing a test.
        if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
