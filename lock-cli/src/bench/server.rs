//! The Redis the benchmark runs against: spawned on a free loopback port, or given by `--url`.

use lock_testkit::server::{AdminConn, RedisServer};

pub(crate) struct Server {
    spawned: Option<RedisServer>,
    url: String,
}

impl Server {
    pub(crate) fn start(url: Option<&str>) -> Result<Self, String> {
        match url {
            Some(url) => Ok(Self { spawned: None, url: url.to_owned() }),
            None => {
                let server =
                    RedisServer::spawn().map_err(|e| format!("cannot start redis-server: {e}"))?;
                Ok(Self { url: server.url(), spawned: Some(server) })
            }
        }
    }

    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }

    /// The port, parsed from the URL.
    pub(crate) fn port(&self) -> u16 {
        match &self.spawned {
            Some(server) => server.port(),
            None => self
                .url
                .trim_end_matches('/')
                .rsplit(':')
                .next()
                .and_then(|p| p.split('/').next()?.parse().ok())
                .unwrap_or(6379),
        }
    }

    /// An admin connection (plain `redis://host:port` URLs only when not spawned).
    pub(crate) fn admin(&self) -> Option<AdminConn> {
        match &self.spawned {
            Some(server) => server.admin().ok(),
            None => AdminConn::connect("127.0.0.1", self.port(), None).ok(),
        }
    }

    pub(crate) fn version(&self) -> String {
        let info =
            self.admin().and_then(|mut a| a.cmd(&["INFO", "server"]).ok()).and_then(|i| i.text());
        info.and_then(|i| {
            i.lines().find_map(|l| l.strip_prefix("redis_version:").map(str::to_owned))
        })
        .unwrap_or_else(|| "?".to_owned())
    }
}

/// Counts the commands a server executes between two moments (`INFO commandstats`, scripts'
/// inner calls included), leaving out its own `INFO`s. Without an admin connection (a server
/// given by a URL it cannot reach the same way) it counts 0.
pub(crate) struct Counter {
    admin: Option<AdminConn>,
    start: u64,
}

impl Counter {
    pub(crate) fn connect(port: u16) -> Self {
        Self { admin: AdminConn::connect("127.0.0.1", port, None).ok(), start: 0 }
    }

    fn total(&mut self) -> u64 {
        let Some(admin) = self.admin.as_mut() else { return 0 };
        let calls = admin.command_calls().unwrap_or_default();
        calls.iter().filter(|(name, _)| name.as_str() != "info").map(|(_, n)| n).sum()
    }

    /// Starts counting from now.
    pub(crate) fn start(&mut self) {
        self.start = self.total();
    }

    /// Commands executed since [`Counter::start`].
    pub(crate) fn executed(&mut self) -> u64 {
        self.total().saturating_sub(self.start)
    }
}
