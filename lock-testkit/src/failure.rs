//! How a case reports a failure.

use std::fmt;

/// Why a conformance case failed: a message and the place in the case that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
    location: &'static str,
    skip: bool,
}

/// What a case returns.
pub type CaseResult = Result<(), Failure>;

impl Failure {
    /// A failure found at `location` (use [`crate::check!`] and friends, which fill it in).
    pub fn new(message: impl Into<String>, location: &'static str) -> Self {
        Self { message: message.into(), location, skip: false }
    }

    /// Not a failure: the case found, while running, that it does not apply to this backend
    /// (for example, the backend does not report an optional value the case needs).
    pub fn skip(reason: impl Into<String>) -> Self {
        Self { message: reason.into(), location: "", skip: true }
    }

    /// Whether this is a [`Failure::skip`].
    pub fn is_skip(&self) -> bool {
        self.skip
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.location)
    }
}

impl From<lock_core::BackendError> for Failure {
    fn from(e: lock_core::BackendError) -> Self {
        Self::new(format!("the backend returned an error: {e}"), "backend call")
    }
}

impl From<lock_core::Error> for Failure {
    fn from(e: lock_core::Error) -> Self {
        Self::new(format!("the lock API returned an error: {e}"), "manager call")
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
