//! `fred::error::Error` to `BackendError`.

use fred::error::{Error as FredError, ErrorKind};
use lock_core::{BackendError, BackendErrorKind};

use crate::BACKEND;

/// Maps a client error: I/O, timeouts, cancellations, cluster redirects and Sentinel trouble
/// are temporary; a key of the wrong type is a clear, permanent error.
pub(crate) fn map(e: FredError) -> BackendError {
    let (kind, temporary) = match e.kind() {
        ErrorKind::IO | ErrorKind::Canceled => (BackendErrorKind::Connection, true),
        ErrorKind::Timeout => (BackendErrorKind::Timeout, true),
        ErrorKind::Cluster | ErrorKind::Sentinel | ErrorKind::Backpressure | ErrorKind::Routing => {
            (BackendErrorKind::Unavailable, true)
        }
        ErrorKind::Auth => (BackendErrorKind::Auth, false),
        ErrorKind::Config | ErrorKind::Url => (BackendErrorKind::Config, false),
        ErrorKind::Protocol | ErrorKind::Parse => (BackendErrorKind::Protocol, false),
        _ => {
            let code = e.details().split_whitespace().next().unwrap_or("");
            lock_lua::classify(code)
        }
    };
    let message = match kind {
        BackendErrorKind::WrongType => lock_lua::WRONG_TYPE_HINT.to_owned(),
        _ => e.details().to_owned(),
    };
    BackendError::new(BACKEND, kind, message).with_temporary(temporary).with_source(e)
}

/// Whether `e` is Redis's `NOSCRIPT` (the script cache was emptied).
pub(crate) fn is_noscript(e: &FredError) -> bool {
    e.details().starts_with("NOSCRIPT")
}
