//! Client errors turned into one-line messages ([`Endpoint::explain`] and its helpers), and
//! URLs with their credentials redacted.

use lock_redis::redis::{self, ConnectionAddr, ConnectionInfo, RedisError};
use lock_redis::{BackendError, BackendErrorKind, Error};

use super::Endpoint;

impl Endpoint {
    /// Turns a client error into one line: unreachable server, failed authentication, missing
    /// permission, or the client's own words.
    pub(crate) fn explain(&self, e: &Error) -> String {
        match e {
            Error::Backend(e) => self.explain_backend(e),
            other => other.to_string(),
        }
    }

    /// [`Endpoint::explain`] for a backend error.
    pub(crate) fn explain_backend(&self, e: &BackendError) -> String {
        let source = redis_source(e);
        match e.kind() {
            BackendErrorKind::Connection => self.unreachable(source, e.message()),
            BackendErrorKind::Timeout => {
                format!(
                    "no reply from {} in time — is Redis running and reachable?",
                    self.describe()
                )
            }
            BackendErrorKind::Auth => match source {
                Some(source) => explain_auth(source),
                None => format!("authentication failed: {}", e.message()),
            },
            _ => match source {
                Some(source) => self.explain_redis(source),
                None => format!("{}: {}", self.describe(), e.message()),
            },
        }
    }

    /// [`Endpoint::explain`] for an error of the `redis` client itself.
    pub(crate) fn explain_redis(&self, e: &RedisError) -> String {
        if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() {
            return self.unreachable(Some(e), &e.to_string());
        }
        if e.is_timeout() {
            return format!("no reply from {} in time — is Redis running?", self.describe());
        }
        if matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
            || e.kind() == redis::ErrorKind::AuthenticationFailed
        {
            return explain_auth(e);
        }
        format!("{}: {}", self.describe(), reason(e))
    }

    fn unreachable(&self, source: Option<&RedisError>, fallback: &str) -> String {
        let text = source.map_or_else(|| fallback.to_owned(), reason);
        let unix = matches!(self.first_addr(), Some(ConnectionAddr::Unix(_)));
        let refused = source.is_some_and(RedisError::is_connection_refusal)
            || text.to_ascii_lowercase().contains("refused");
        let cause = if refused && unix {
            "no such socket, or nothing listening on it".to_owned()
        } else if refused {
            "connection refused".to_owned()
        } else if source.is_some_and(RedisError::is_timeout) {
            "timed out".to_owned()
        } else {
            text
        };
        format!("cannot connect to {}: {cause} — is Redis running?", self.describe())
    }

    fn first_addr(&self) -> Option<&ConnectionAddr> {
        match self {
            Self::Standalone(info) => Some(info.addr()),
            Self::Cluster(nodes) => nodes.first().map(ConnectionInfo::addr),
        }
    }
}

/// The `redis` error a backend error wraps, if any.
fn redis_source(e: &BackendError) -> Option<&RedisError> {
    std::error::Error::source(e).and_then(|s| s.downcast_ref::<RedisError>())
}

/// `authentication failed: ...` or `permission denied: ...`, with the server's words.
fn explain_auth(e: &RedisError) -> String {
    let words = match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        // The client keeps no server words for a refused AUTH.
        _ if e.kind() == redis::ErrorKind::AuthenticationFailed => {
            "the server refused the user name or password in the URL".to_owned()
        }
        _ => reason(e),
    };
    if e.code() == Some("NOPERM") {
        return format!(
            "permission denied: {words} (the user needs ~<prefix>* keys, &<prefix>* channels, \
             and EVALSHA, SCRIPT LOAD, SCAN, TYPE, GET, SUBSCRIBE)"
        );
    }
    let hint = if e.code() == Some("NOAUTH") {
        " (put the password in the URL: redis://:password@host:port)"
    } else {
        ""
    };
    format!("authentication failed: {words}{hint}")
}

/// The error's own words on one line, without the client's internal error kind
/// (`desc - Kind: detail` becomes `desc: detail`).
pub(super) fn reason(e: &RedisError) -> String {
    let text = e.to_string().replace(['\n', '\r'], " ");
    text.replacen(&format!(" - {:?}", e.kind()), "", 1)
}

/// `url` with any `user:password@` replaced by `***@`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("redis://u:p@h:1/0"), "redis://***@h:1/0");
        assert_eq!(redact_url("redis://h:1/0"), "redis://h:1/0");
        assert_eq!(redact_url("redis-cluster://:p@a:1,b:2"), "redis-cluster://***@a:1,b:2");
    }
}
