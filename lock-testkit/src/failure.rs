//! How a case reports a failure.

use std::fmt;
use std::panic::Location;

/// Why a conformance case failed: a message and the place in the case that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
    location: &'static str,
    /// The case line that called the shared helper which found it (or used `?` on an error).
    called_from: Option<&'static Location<'static>>,
    skip: bool,
}

/// What a case returns.
pub type CaseResult = Result<(), Failure>;

impl Failure {
    /// A failure found at `location` (use [`crate::check!`] and friends, which fill it in).
    pub fn new(message: impl Into<String>, location: &'static str) -> Self {
        Self { message: message.into(), location, called_from: None, skip: false }
    }

    /// Not a failure: the case found, while running, that it does not apply to this backend
    /// (for example, the backend does not report an optional value the case needs).
    pub fn skip(reason: impl Into<String>) -> Self {
        Self { message: reason.into(), location: "", called_from: None, skip: true }
    }

    /// Whether this is a [`Failure::skip`].
    pub fn is_skip(&self) -> bool {
        self.skip
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Records the line that called the helper that failed (the outermost call wins, so a case
    /// calling a helper that calls another shows the case's line).
    pub(crate) fn called_from(mut self, at: &'static Location<'static>) -> Self {
        self.called_from = Some(at);
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {}", self.message, self.location)?;
        match self.called_from {
            Some(at) => write!(f, ", called from {}:{})", at.file(), at.line()),
            None => write!(f, ")"),
        }
    }
}

impl From<lock_core::BackendError> for Failure {
    /// Located at the `?` that converted it.
    #[track_caller]
    fn from(e: lock_core::BackendError) -> Self {
        Self::new(format!("the backend returned an error: {e}"), "backend call")
            .called_from(Location::caller())
    }
}

impl From<lock_core::Error> for Failure {
    /// Located at the `?` that converted it.
    #[track_caller]
    fn from(e: lock_core::Error) -> Self {
        Self::new(format!("the lock API returned an error: {e}"), "manager call")
            .called_from(Location::caller())
    }
}

/// Prints `SKIP <what>` on the process's stderr. `eprintln!` goes through the test harness's
/// capture, which hides it unless the test fails; this write does not, so a skipped test (which
/// `cargo test` counts as passed) shows in the output without `--nocapture`.
pub(crate) fn announce_skip(what: fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "SKIP {what}");
}

/// Fails the case unless `cond` holds: `check!(cond, "format", args...)`.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::Failure::new(format!($($msg)+), concat!(file!(), ":", line!())));
        }
    };
}

/// Fails the case unless the two values are equal: `check_eq!(left, right, "what")`.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    return Err($crate::Failure::new(
                        format!("{}: expected {:?}, got {:?}", format!($($msg)+), right, left),
                        concat!(file!(), ":", line!()),
                    ));
                }
            }
        }
    };
}

/// Fails the case with a message: `fail!("format", args...)`.
#[macro_export]
macro_rules! fail {
    ($($msg:tt)+) => {
        return Err($crate::Failure::new(format!($($msg)+), concat!(file!(), ":", line!())))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend error a case passes up with `?` is located at that `?`.
    #[test]
    fn errors_passed_up_with_a_question_mark_name_its_line() {
        fn case() -> CaseResult {
            let failing: Result<(), lock_core::BackendError> = Err(lock_core::BackendError::new(
                "test",
                lock_core::BackendErrorKind::Connection,
                "down",
            ));
            failing?;
            Ok(())
        }
        let line = line!() - 3;
        let shown = case().expect_err("failed").to_string();
        assert!(shown.contains(&format!("called from {}:{line})", file!())), "{shown}");
    }
}
