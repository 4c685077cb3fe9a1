//! `RedisError` to `BackendError`.

use lock_core::{BackendError, BackendErrorKind};
use redis::{ErrorKind, RedisError};

use crate::BACKEND;

/// Maps a client error: I/O, timeouts and reconnect-class errors are temporary; a key of the
/// wrong type is a clear, permanent error; a missing or wrong password and an ACL refusal each
/// say what to do.
pub(crate) fn map(e: RedisError) -> BackendError {
    let (kind, temporary, message) = classify(&e);
    BackendError::new(BACKEND, kind, message).with_temporary(temporary).with_source(e)
}

fn classify(e: &RedisError) -> (BackendErrorKind, bool, String) {
    if let Some(tls) = tls_failure(e) {
        return tls;
    }
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
        let (kind, temporary) = lock_redis_protocol::classify(code);
        let message = match kind {
            BackendErrorKind::WrongType => lock_redis_protocol::errors::WRONG_TYPE_HINT.to_owned(),
            BackendErrorKind::Auth => match lock_redis_protocol::errors::auth_hint(code) {
                Some(hint) => format!("{e} ({hint})"),
                None => e.to_string(),
            },
            _ => e.to_string(),
        };
        return (kind, temporary, message);
    }
    match e.kind() {
        ErrorKind::AuthenticationFailed => (BackendErrorKind::Auth, false, e.to_string()),
        ErrorKind::InvalidClientConfig | ErrorKind::EmptySentinelList => {
            (BackendErrorKind::Config, false, e.to_string())
        }
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => {
            (BackendErrorKind::Protocol, false, e.to_string())
        }
        ErrorKind::ClusterConnectionNotFound => (BackendErrorKind::Connection, true, e.to_string()),
        // No master under that name, or none the sentinels agree is up (a failover under way).
        ErrorKind::MasterNameNotFoundBySentinel | ErrorKind::NoValidReplicasFoundBySentinel => {
            (BackendErrorKind::Unavailable, true, format!("Sentinel: {e}"))
        }
        _ => {
            let temporary = !matches!(e.retry_method(), redis::RetryMethod::NoRetry);
            (BackendErrorKind::Other, temporary, e.to_string())
        }
    }
}

/// A TLS failure: the client and the server do not agree (a certificate the client does not
/// trust, or the wrong protocol on the port), so trying again will not help. A certificate
/// problem is a `Config` error that says how to trust another CA.
fn tls_failure(e: &RedisError) -> Option<(BackendErrorKind, bool, String)> {
    #[cfg(feature = "tls-rustls")]
    if let Some(tls) = rustls_error(e) {
        return Some(match tls {
            rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::InvalidCertRevocationList(_) => (
                BackendErrorKind::Config,
                false,
                format!(
                    "TLS handshake failed, the server's certificate was refused: {tls} (to trust \
                     a private CA, build the client with redis::Client::build_with_tls and \
                     TlsCertificates {{ root_cert: Some(<CA PEM>), .. }})"
                ),
            ),
            other => {
                (BackendErrorKind::Connection, false, format!("TLS handshake failed: {other}"))
            }
        });
    }
    let _ = e;
    None
}

/// The `rustls::Error` under `e`: the redis crate keeps the I/O error of a failed handshake
/// behind an `Arc`, and tokio-rustls puts the rustls error inside that I/O error.
#[cfg(feature = "tls-rustls")]
fn rustls_error(e: &RedisError) -> Option<&rustls::Error> {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let source = std::error::Error::source(e)?;
    let inner: &(dyn std::error::Error + 'static) = match source.downcast_ref::<Shared>() {
        Some(shared) => shared.as_ref(),
        None => source,
    };
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    inner.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<rustls::Error>()
}
