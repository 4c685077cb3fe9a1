//! Where the locks are: `--url` parsed into a standalone or cluster endpoint, a connection
//! through `lock-redis`, and client errors turned into one-line messages.
//!
//! Accepted URLs: `redis://[user:password@]host:port[/db]`, `rediss://...` (when the `redis`
//! crate is built with TLS), `redis+unix:///path[?db=N]`, and
//! `redis-cluster://[user:password@]host:port[,host:port...]`, whose nodes become
//! `redis://host:port/` seed URLs for `RedisBackend::connect_cluster`. Messages never repeat a
//! password.
//!
//! This file holds [`Endpoint`] and URL parsing; [`connection`] opens connections, and
//! [`messages`] explains errors.

mod connection;
mod messages;

use lock_redis::redis::{ConnectionInfo, IntoConnectionInfo};

pub(crate) use self::connection::{Connection, address, node_connection};
use self::messages::reason;
pub(crate) use self::messages::redact_url;

/// The URL scheme of a cluster.
const CLUSTER_SCHEME: &str = "redis-cluster://";

/// The forms `--url` accepts, for error messages.
const URL_FORMS: &str = "expected redis://[user:password@]host:port[/db], rediss://..., \
     redis+unix:///path or redis-cluster://host:port[,host:port...]";

/// What `--url` names.
#[derive(Clone, Debug)]
pub(crate) enum Endpoint {
    /// One server.
    Standalone(Box<ConnectionInfo>),
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
            return Ok(Self::Standalone(Box::new(info)));
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
}
