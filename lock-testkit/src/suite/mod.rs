//! The case registry, the `conformance_suite!` macro, and the runner.

mod case;
mod list;
mod macros;
mod report;
mod runner;

pub use case::{CASES, Case, CaseFn, Requires};
pub use report::{CaseOutcome, CaseReport, SuiteReport};
#[doc(hidden)]
pub use runner::run_named;
pub use runner::{SuiteOptions, run_case, run_suite};
