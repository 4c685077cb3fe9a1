//! `conformance_suite!`: one `#[test]` per case.

/// Generates the conformance suite for a backend: a module `$name` with one `#[test]` per case.
///
/// `$factory` is an expression evaluating to a future that yields the backend (anything that
/// implements `LockBackend`, including `Arc<dyn LockBackend>`), or a `Result` of one whose
/// error implements `Display` (a constructor that connects): an `Err` fails the test, saying
/// the setup failed rather than a case. It is evaluated afresh in every
/// test, on that test's own multi-threaded tokio runtime, because client connections belong to
/// the runtime that made them; share the *server*, not the client. Items of the enclosing module
/// are in scope.
///
/// Each case gets its own random key prefix under `lock:conformance:`, so the suite can run
/// against a shared server and never flushes anything. A case that needs a capability the
/// backend does not advertise passes and prints `SKIP <case>: <reason>` on stderr, which
/// `cargo test` shows without `--nocapture`. Filter with
/// `cargo test <name>::<case>`.
///
/// ```ignore
/// lock_testkit::conformance_suite!(memory, async { lock_core::MemoryBackend::new() });
/// lock_testkit::conformance_suite!(mine, async { MyBackend::connect("redis://127.0.0.1/").await });
/// ```
///
/// With `maybe:` before the factory, it yields an `Option` of the backend, and `None` skips
/// the test (say, no Redis is installed; print why from the factory):
///
/// ```ignore
/// lock_testkit::conformance_suite!(redis, maybe: async { Some(connect().await) });
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($name:ident, maybe: $factory:expr $(,)?) => {
        #[allow(unused_imports)]
        mod $name {
            use super::*;
            use $crate::__conformance_tests;
            $crate::__for_each_case!(__conformance_tests!(maybe_run_named $factory));
        }
    };
    ($name:ident, $factory:expr $(,)?) => {
        #[allow(unused_imports)]
        mod $name {
            use super::*;
            use $crate::__conformance_tests;
            $crate::__for_each_case!(__conformance_tests!(run_named $factory));
        }
    };
}

/// Runs one case with the factory's output (internal to `conformance_suite!`): a `maybe:`
/// factory yields an `Option`, any other a backend or a `Result` of one.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_runner {
    (maybe_run_named, $case:ident, $factory:expr) => {
        $crate::suite::maybe_run_named(stringify!($case), || $factory)
    };
    (run_named, $case:ident, $factory:expr) => {{
        #[allow(unused_imports)]
        use $crate::suite::PlainBackend as _;
        $crate::suite::run_named(stringify!($case), || async {
            $crate::suite::Setup($factory.await).into_backend()
        })
    }};
}

/// Emits the tests (internal to `conformance_suite!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (($runner:ident $factory:expr) $($module:ident :: $case:ident [$($req:ident)*],)*) => {
        $(
            #[test]
            fn $case() {
                $crate::__conformance_runner!($runner, $case, $factory);
            }
        )*
    };
}
