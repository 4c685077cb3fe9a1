//! Running cases: one at a time for `#[test]`s, or all of them for a report.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lock_core::{DynLockBackend, LockBackend};

use super::case::{CASES, Case};
use super::report::{CaseOutcome, CaseReport, SuiteReport};
use crate::context::TestContext;

/// How long one case may run (times the ttl scale) before it counts as failed.
const CASE_TIMEOUT: u64 = 60_000;

/// Options for [`run_suite`].
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    /// Run only cases whose name contains this.
    pub filter: Option<String>,
    /// How many cases run at once (default 8; most of a case's time is spent waiting).
    pub concurrency: usize,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self { filter: None, concurrency: 8 }
    }
}

/// Runs one case against `backend` under a fresh [`TestContext`]: skipped when the backend
/// lacks a capability the case needs; failed on a failed check, a panic, or a timeout.
pub async fn run_case(case: &Case, backend: Arc<DynLockBackend>) -> CaseOutcome {
    if let Some(reason) = super::missing(case.requires, backend.info().capabilities) {
        return CaseOutcome::Skipped(reason);
    }
    let cx = TestContext::new(backend);
    let limit = cx.ms(CASE_TIMEOUT);
    let mut task = tokio::spawn((case.run)(cx));
    match tokio::time::timeout(limit, &mut task).await {
        Ok(Ok(Ok(()))) => CaseOutcome::Passed,
        Ok(Ok(Err(failure))) if failure.is_skip() => {
            CaseOutcome::Skipped(failure.message().to_owned())
        }
        Ok(Ok(Err(failure))) => CaseOutcome::Failed(failure.to_string()),
        Ok(Err(join)) => CaseOutcome::Failed(format!("the case panicked: {join}")),
        Err(_) => {
            task.abort();
            CaseOutcome::Failed(format!("did not finish within {limit:?}"))
        }
    }
}

/// Runs every case (or those `options.filter` selects) against one backend, on the current
/// runtime, and reports each outcome. Use it where `conformance_suite!` does not fit: a smoke
/// check at start-up, a custom harness, a report in CI.
///
/// ```
/// # #[tokio::main]
/// # async fn main() {
/// use std::sync::Arc;
/// use lock_testkit::{SuiteOptions, run_suite};
///
/// let options = SuiteOptions { filter: Some("release".into()), ..Default::default() };
/// let report = run_suite(Arc::new(lock_core::MemoryBackend::new()), &options).await;
/// assert!(report.is_success(), "{report}");
/// assert!(report.passed() >= 5);
/// # }
/// ```
pub async fn run_suite(backend: Arc<DynLockBackend>, options: &SuiteOptions) -> SuiteReport {
    let _timer = crate::timings::Timer::start();
    let slots = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut running = Vec::new();
    for case in
        CASES.iter().filter(|c| options.filter.as_ref().is_none_or(|f| c.name.contains(f.as_str())))
    {
        let (backend, slots) = (backend.clone(), slots.clone());
        running.push((
            case.name,
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await;
                run_case(case, backend).await
            }),
        ));
    }
    let mut cases = Vec::new();
    for (name, task) in running {
        let outcome =
            task.await.unwrap_or_else(|e| CaseOutcome::Failed(format!("the case panicked: {e}")));
        cases.push(CaseReport { name, outcome });
    }
    SuiteReport { cases }
}

/// Runs the case called `name` on a new runtime with a backend from `factory`; panics when it
/// fails (this is the body of each test `conformance_suite!` generates).
#[doc(hidden)]
pub fn run_named<F, Fut, B>(name: &str, factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = B>,
    B: LockBackend,
{
    maybe_run_named(name, || async { Some(factory().await) });
}

/// [`run_named`] for a factory that may have no backend to offer (the test is then skipped).
#[doc(hidden)]
pub fn maybe_run_named<F, Fut, B>(name: &str, factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<B>>,
    B: LockBackend,
{
    let Some(case) = CASES.iter().find(|c| c.name == name) else {
        panic!("lock-testkit has no case named `{name}`");
    };
    let _timer = crate::timings::Timer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
    let outcome = runtime.block_on(async {
        match factory().await {
            Some(backend) => run_case(case, Arc::new(backend)).await,
            None => CaseOutcome::Skipped("no backend available".to_owned()),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        CaseOutcome::Passed => {}
        CaseOutcome::Skipped(reason) => {
            crate::failure::announce_skip(format_args!("{name}: {reason}"))
        }
        CaseOutcome::Failed(message) => panic!("conformance case `{name}` failed: {message}"),
    }
}
