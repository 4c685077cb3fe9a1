//! What a spawned server is configured with.

use std::fmt::Write as _;
use std::path::Path;

/// An ACL user to create on a spawned server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclUser {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
    /// ACL rules after `on >password`, e.g. `~lock:* &lock:* -@all +evalsha`.
    pub rules: String,
}

/// Options of a spawned `redis-server`; see [`crate::server::RedisServer::builder`].
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    pub(crate) aof: bool,
    pub(crate) debug_command: bool,
    pub(crate) password: Option<String>,
    pub(crate) users: Vec<AclUser>,
    pub(crate) unix_socket: bool,
    pub(crate) replica_of: Option<u16>,
    pub(crate) cluster: bool,
    pub(crate) sentinel_of: Option<(String, u16)>,
    /// For a sentinel: the password of the master and replicas it monitors.
    pub(crate) sentinel_auth: Option<String>,
    pub(crate) extra: Vec<String>,
    /// TLS only: `tls-port` with these certificates, `port 0`, and a unix socket for the
    /// harness's own admin connection.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<std::sync::Arc<super::tls::TestCerts>>,
}

impl ServerOptions {
    /// The certificates of a TLS-only server.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_certs(&self) -> Option<&super::tls::TestCerts> {
        self.tls.as_deref()
    }

    /// Never a TLS server without the `tls` feature.
    #[cfg(not(feature = "tls"))]
    pub(crate) fn tls_certs(&self) -> Option<&std::convert::Infallible> {
        None
    }

    /// The config file for a server on `port` keeping its files in `dir`.
    pub(crate) fn config(&self, port: u16, dir: &Path) -> String {
        let dir = dir.display();
        let mut c = String::new();
        let mut line = |s: String| {
            c.push_str(&s);
            c.push('\n');
        };
        match self.tls_certs() {
            #[cfg(feature = "tls")]
            Some(certs) => {
                line("port 0".into());
                line(format!("tls-port {port}"));
                line(format!("tls-cert-file \"{}\"", certs.cert_file().display()));
                line(format!("tls-key-file \"{}\"", certs.key_file().display()));
                line(format!("tls-ca-cert-file \"{}\"", certs.ca_file().display()));
                line("tls-auth-clients no".into());
            }
            _ => line(format!("port {port}")),
        }
        line("bind 127.0.0.1".into());
        line(format!("dir \"{dir}\""));
        line(format!("logfile \"{dir}/redis.log\""));
        line("daemonize no".into());
        if let Some((service, master)) = &self.sentinel_of {
            line(format!("sentinel monitor {service} 127.0.0.1 {master} 2"));
            line(format!("sentinel down-after-milliseconds {service} 1000"));
            line(format!("sentinel failover-timeout {service} 5000"));
            line(format!("sentinel parallel-syncs {service} 1"));
            if let Some(password) = &self.sentinel_auth {
                line(format!("sentinel auth-pass {service} \"{password}\""));
            }
            return c;
        }
        line("save \"\"".into());
        line("repl-diskless-sync-delay 0".into());
        if self.aof {
            line("appendonly yes".into());
            line("appendfsync always".into());
        } else {
            line("appendonly no".into());
        }
        if self.debug_command {
            line("enable-debug-command local".into());
        }
        if let Some(password) = &self.password {
            line(format!("requirepass \"{password}\""));
            line(format!("masterauth \"{password}\""));
        }
        for user in &self.users {
            let mut rule = format!("user {} on >{}", user.name, user.password);
            let _ = write!(rule, " {}", user.rules);
            line(rule);
        }
        if self.unix_socket || self.tls_certs().is_some() {
            line(format!("unixsocket \"{dir}/redis.sock\""));
            line("unixsocketperm 700".into());
        }
        if let Some(master) = self.replica_of {
            line(format!("replicaof 127.0.0.1 {master}"));
        }
        if self.cluster {
            line("cluster-enabled yes".into());
            line("cluster-config-file nodes.conf".into());
            line("cluster-node-timeout 1000".into());
        }
        for extra in &self.extra {
            line(extra.clone());
        }
        c
    }
}
