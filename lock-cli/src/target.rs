//! Where the locks are: `--url` parsed into a standalone or cluster endpoint, a connection
//! through `lock-redis`, and client errors turned into one-line messages.
//!
//! Accepted URLs: `redis://[user:password@]host:port[/db]`, `rediss://...` (when the `redis`
//! crate is built with TLS), `redis+unix:///path[?db=N]`, and
//! `redis-cluster://[user:password@]host:port[,host:port...]`, whose nodes become
//! `redis://host:port/` seed URLs for `RedisBackend::connect_cluster`. Messages never repeat a
//! password.

use std::time::Duration;

use lock_redis::redis::{self, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisError};
use lock_redis::{BackendError, BackendErrorKind, Error, KeyPrefix, LockManager, RedisBackend};

/// The URL scheme of a cluster.
const CLUSTER_SCHEME: &str = "redis-cluster://";

/// How long opening a direct connection to one node may take.
const NODE_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one command on a direct node connection may take.
const NODE_REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// The forms `--url` accepts, for error messages.
const URL_FORMS: &str = "expected redis://[user:password@]host:port[/db], rediss://..., \
     redis+unix:///path or redis-cluster://host:port[,host:port...]";

/// What `--url` names.
#[derive(Clone, Debug)]
pub(crate) enum Endpoint {
    /// One server.
    Standalone(ConnectionInfo),
    /// A Redis Cluster, reached through these seed nodes.
    Cluster(Vec<ConnectionInfo>),
}

impl Endpoint {
    /// Parses a `--url`; the error is a one-line message without the password.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let bad = |reason: &dyn std::fmt::Display| {
            format!("bad URL `{}`: {reason}; {URL_FORMS}", redact_url(url))
        };
        let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
            let info = url.into_connection_info().map_err(|e| bad(&reason(&e)))?;
            return Ok(Self::Standalone(info));
        };
        let (userinfo, hosts) = match rest.rsplit_once('@') {
            Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
            None => (String::new(), rest),
        };
        let hosts = hosts.strip_suffix('/').unwrap_or(hosts);
        if hosts.contains('/') {
            return Err(bad(&"a cluster URL takes no path (a cluster has only database 0)"));
        }
        let mut nodes = Vec::new();
        for host in hosts.split(',').map(str::trim) {
            if host.is_empty() {
                return Err(bad(&"a node address is empty"));
            }
            let node = format!("redis://{userinfo}{host}/");
            nodes.push(node.as_str().into_connection_info().map_err(|e| bad(&reason(&e)))?);
        }
        Ok(Self::Cluster(nodes))
    }

    /// Where it is, without credentials: `host:port`, a socket path, or a list of nodes.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Standalone(info) => address(info),
            Self::Cluster(nodes) => nodes.iter().map(address).collect::<Vec<_>>().join(","),
        }
    }

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

/// A live connection: the backend, a manager under `--prefix`, and where they point.
#[derive(Debug)]
pub(crate) struct Connection {
    /// The backend (for raw commands such as `TYPE` or `GET`).
    pub(crate) backend: RedisBackend,
    /// The manager every lock operation goes through, with the requested prefix.
    pub(crate) locks: LockManager,
    /// Where the backend is connected.
    pub(crate) endpoint: Endpoint,
}

impl Connection {
    /// Parses `url`, connects, and checks the server answers (so an unreachable server or a
    /// missing password is reported now, not at the first lock operation).
    pub(crate) async fn open(url: &str, prefix: &str) -> Result<Self, String> {
        let endpoint = Endpoint::parse(url)?;
        let prefix = KeyPrefix::new(prefix).map_err(|e| format!("bad --prefix: {e}"))?;
        let backend = match &endpoint {
            Endpoint::Standalone(info) => {
                let client =
                    redis::Client::open(info.clone()).map_err(|e| endpoint.explain_redis(&e))?;
                RedisBackend::from_client(client).await
            }
            Endpoint::Cluster(nodes) => RedisBackend::connect_cluster(nodes.clone()).await,
        }
        .map_err(|e| endpoint.explain_backend(&e))?;
        backend.query(&redis::cmd("PING")).await.map_err(|e| endpoint.explain_backend(&e))?;
        let locks = LockManager::builder(backend.clone())
            .prefix(prefix.as_bytes())
            .build()
            .map_err(|e| format!("bad settings: {e}"))?;
        Ok(Self { backend, locks, endpoint })
    }

    /// Runs one command on the backend (routed by key on a cluster), errors explained.
    pub(crate) async fn query(&self, cmd: &redis::Cmd) -> Result<redis::Value, String> {
        self.backend.query(cmd).await.map_err(|e| self.endpoint.explain_backend(&e))
    }
}

/// A direct connection to one node (for commands that must reach every master, such as SCAN).
pub(crate) async fn node_connection(
    info: &ConnectionInfo,
) -> Result<redis::aio::MultiplexedConnection, RedisError> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(NODE_CONNECT_TIMEOUT))
        .set_response_timeout(Some(NODE_REPLY_TIMEOUT));
    redis::Client::open(info.clone())?.get_multiplexed_async_connection_with_config(&config).await
}

/// `host:port` or the socket path of a node, without credentials.
pub(crate) fn address(info: &ConnectionInfo) -> String {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            format!("{host}:{port}")
        }
        ConnectionAddr::Unix(path) => path.display().to_string(),
        other => other.to_string(),
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
fn reason(e: &RedisError) -> String {
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
    fn parses_every_form() {
        let one = Endpoint::parse("redis://127.0.0.1:6379/2").expect("standalone");
        assert!(matches!(one, Endpoint::Standalone(_)));
        assert_eq!(one.describe(), "127.0.0.1:6379");
        let unix = Endpoint::parse("redis+unix:///tmp/redis.sock").expect("unix");
        assert_eq!(unix.describe(), "/tmp/redis.sock");
        let cluster =
            Endpoint::parse("redis-cluster://:pw@127.0.0.1:7000,127.0.0.1:7001/").expect("cluster");
        assert_eq!(cluster.describe(), "127.0.0.1:7000,127.0.0.1:7001");
        let Endpoint::Cluster(nodes) = &cluster else { panic!("not a cluster: {cluster:?}") };
        assert!(nodes.iter().all(|n| n.redis_settings().password() == Some("pw")));
    }

    #[test]
    fn rejects_bad_urls_without_leaking_passwords() {
        for url in ["127.0.0.1:6379", "http://:secret@host:1/", "redis-cluster://a:1,,b:2"] {
            let e = Endpoint::parse(url).err().unwrap_or_default();
            assert!(e.starts_with("bad URL"), "{url}: {e}");
            assert!(!e.contains("secret"), "{e}");
        }
        assert!(Endpoint::parse("redis-cluster://a:1/3").is_err());
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("redis://u:p@h:1/0"), "redis://***@h:1/0");
        assert_eq!(redact_url("redis://h:1/0"), "redis://h:1/0");
        assert_eq!(redact_url("redis-cluster://:p@a:1,b:2"), "redis-cluster://***@a:1,b:2");
    }
}
