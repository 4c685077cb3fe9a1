//! `RedisError` to `BackendError`.

use lock_core::{BackendError, BackendErrorKind};
use redis::{ErrorKind, RedisError};

use crate::BACKEND;

/// Maps a client error: I/O, timeouts and reconnect-class errors are temporary; a key of the
/// wrong type is a clear, permanent error; permission errors name the ACL.
pub(crate) fn map(e: RedisError) -> BackendError {
    let (kind, temporary, message) = classify(&e);
    BackendError::new(BACKEND, kind, message).with_temporary(temporary).with_source(e)
}

fn classify(e: &RedisError) -> (BackendErrorKind, bool, String) {
    if e.is_timeout() {
        return (
            BackendErrorKind::Timeout,
            true,
            "no reply in time (the command may have been applied)".into(),
        );
    }
    if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
        return (BackendErrorKind::Connection, true, e.to_string());
    }
    if let Some(code) = e.code() {
        let (kind, temporary) = lock_lua::classify(code);
        let message = match kind {
            BackendErrorKind::WrongType => lock_lua::WRONG_TYPE_HINT.to_owned(),
            BackendErrorKind::Auth => format!(
                "{e} (the user needs ~<prefix>* keys, &<prefix>* channels, and EVALSHA, SCRIPT LOAD, SUBSCRIBE)"
            ),
            _ => e.to_string(),
        };
        return (kind, temporary, message);
    }
    match e.kind() {
        ErrorKind::AuthenticationFailed => (BackendErrorKind::Auth, false, e.to_string()),
        ErrorKind::InvalidClientConfig => (BackendErrorKind::Config, false, e.to_string()),
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => {
            (BackendErrorKind::Protocol, false, e.to_string())
        }
        ErrorKind::ClusterConnectionNotFound => (BackendErrorKind::Connection, true, e.to_string()),
        _ => {
            let temporary = !matches!(e.retry_method(), redis::RetryMethod::NoRetry);
            (BackendErrorKind::Other, temporary, e.to_string())
        }
    }
}
