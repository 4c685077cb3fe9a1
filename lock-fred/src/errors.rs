//! `fred::error::Error` to `BackendError`.

use fred::error::{Error as FredError, ErrorKind};
use lock_core::{BackendError, BackendErrorKind};

use crate::BACKEND;

/// Maps a client error: I/O, timeouts, cancellations, cluster redirects and Sentinel trouble
/// are temporary; a key of the wrong type is a clear, permanent error.
pub(crate) fn map(e: FredError) -> BackendError {
    if let Some(message) = certificate_refused(&e) {
        return BackendError::new(BACKEND, BackendErrorKind::Config, message)
            .with_temporary(false)
            .with_source(e);
    }
    let (kind, temporary) = match e.kind() {
        ErrorKind::IO | ErrorKind::Canceled => (BackendErrorKind::Connection, true),
        ErrorKind::Timeout => (BackendErrorKind::Timeout, true),
        ErrorKind::Cluster | ErrorKind::Sentinel | ErrorKind::Backpressure | ErrorKind::Routing => {
            (BackendErrorKind::Unavailable, true)
        }
        ErrorKind::Auth => (BackendErrorKind::Auth, false),
        ErrorKind::Config | ErrorKind::Url => (BackendErrorKind::Config, false),
        // fred's own TLS errors: a connector it could not build, a name rustls refuses.
        #[cfg(feature = "tls-rustls")]
        ErrorKind::Tls => (BackendErrorKind::Config, false),
        ErrorKind::Protocol | ErrorKind::Parse => (BackendErrorKind::Protocol, false),
        _ => {
            let code = e.details().split_whitespace().next().unwrap_or("");
            lock_redis_protocol::classify(code)
        }
    };
    let code = e.details().split_whitespace().next().unwrap_or("");
    let message = match kind {
        BackendErrorKind::WrongType => lock_redis_protocol::errors::WRONG_TYPE_HINT.to_owned(),
        BackendErrorKind::Auth => match lock_redis_protocol::errors::auth_hint(code) {
            Some(hint) => format!("{} ({hint})", e.details()),
            None => e.details().to_owned(),
        },
        _ => e.details().to_owned(),
    };
    BackendError::new(BACKEND, kind, message).with_temporary(temporary).with_source(e)
}

/// A TLS handshake that refused the server's certificate (a CA the client does not trust, a
/// name or address the certificate does not cover, an expired certificate): trying again
/// will not help, so it is a `Config` error that says how to trust another CA. fred keeps only
/// the text of the I/O error that carries rustls's error, e.g.
/// `Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }`.
fn certificate_refused(e: &FredError) -> Option<String> {
    let details = e.details();
    let at =
        details.find("InvalidCertificate(").or_else(|| details.find("NoCertificatesPresented"))?;
    let problem = details[at..].trim_end_matches([' ', '}']);
    Some(format!(
        "TLS handshake failed, the server's certificate was refused: {problem} (to trust a \
         private CA, set Config::tls to a TlsConnector made from a rustls ClientConfig whose \
         root store holds it)"
    ))
}

/// Whether `e` is Redis's `NOSCRIPT` (the script cache was emptied).
pub(crate) fn is_noscript(e: &FredError) -> bool {
    e.details().starts_with("NOSCRIPT")
}
