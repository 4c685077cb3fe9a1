//! Capturing what a future logs at `WARN`, for tests of warnings (the eviction-policy warning
//! of lock-redis and lock-fred).

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

/// What one test's future logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

tokio::task_local! {
    /// The buffer of the test whose future is being polled.
    static CAPTURE: Captured;
}

/// The global subscriber's writer: into the buffer of the task that logged, if it captures.
struct ToTask;

impl io::Write for ToTask {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = CAPTURE.try_with(|c| {
            if let Ok(mut out) = c.0.lock() {
                out.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns its output and the `WARN` lines it logged (from its own task only).
///
/// It installs one global `tracing` subscriber for the whole test binary (the first call does),
/// writing into the buffer of the task that logged: a scoped subscriber per test
/// (`with_subscriber`) raced with the other tests' over `tracing`'s cached interest of the
/// warning's callsite, and about one run in thirty lost the warning. A binary that uses this
/// must not install a global subscriber of its own.
pub async fn with_warnings<F: Future>(f: F) -> (F::Output, Vec<String>) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ToTask)
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            panic!("with_warnings needs to install the binary's only global subscriber");
        }
    });
    let captured = Captured::default();
    let output = CAPTURE.scope(captured.clone(), f).await;
    let text =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    (output, text.lines().filter(|l| l.contains("WARN")).map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_warning_is_captured_by_its_own_task_only() {
        let (n, warnings) = with_warnings(async {
            tracing::warn!("first");
            tracing::info!("not a warning");
            1
        })
        .await;
        assert_eq!(n, 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("first"), "{warnings:?}");
        let (_, other) = with_warnings(async {}).await;
        assert!(other.is_empty(), "{other:?}");
    }
}
