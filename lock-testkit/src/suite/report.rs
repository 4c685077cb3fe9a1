//! What a suite run found.

use std::fmt;

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Every check held.
    Passed,
    /// A check failed; the message says which and where.
    Failed(String),
    /// Not run, with the reason (a capability the backend does not advertise, for example).
    Skipped(String),
}

/// One case's name and outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseReport {
    /// The case.
    pub name: &'static str,
    /// How it ended.
    pub outcome: CaseOutcome,
}

/// The result of [`crate::run_suite`]: every case that ran, in registry order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// One entry per case.
    pub cases: Vec<CaseReport>,
}

impl SuiteReport {
    fn count(&self, pick: fn(&CaseOutcome) -> bool) -> usize {
        self.cases.iter().filter(|c| pick(&c.outcome)).count()
    }

    /// How many passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Passed))
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Failed(_)))
    }

    /// How many were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Skipped(_)))
    }

    /// True when nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }

    /// The failed cases with their messages.
    pub fn failures(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.cases.iter().filter_map(|c| match &c.outcome {
            CaseOutcome::Failed(m) => Some((c.name, m.as_str())),
            _ => None,
        })
    }
}

impl fmt::Display for SuiteReport {
    /// One line per case, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for case in &self.cases {
            match &case.outcome {
                CaseOutcome::Passed => writeln!(f, "pass  {}", case.name)?,
                CaseOutcome::Failed(m) => writeln!(f, "FAIL  {}: {m}", case.name)?,
                CaseOutcome::Skipped(r) => writeln!(f, "skip  {}: {r}", case.name)?,
            }
        }
        write!(f, "{} passed, {} failed, {} skipped", self.passed(), self.failed(), self.skipped())
    }
}
