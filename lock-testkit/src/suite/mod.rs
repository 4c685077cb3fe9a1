//! The case registry, the `conformance_suite!` macro, and the runner.

mod case;
mod list;
mod macros;
mod report;
mod runner;
mod setup;

pub use case::{CASES, Case, CaseFn, missing};
pub use report::{CaseOutcome, CaseReport, SuiteReport};
pub use runner::{SuiteOptions, run_case, run_suite};
#[doc(hidden)]
pub use runner::{maybe_run_named, run_named};
#[doc(hidden)]
pub use setup::{PlainBackend, Setup};
