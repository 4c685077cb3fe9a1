//! `RedisSentinel`: a master, a replica, and three sentinels.

use std::io;
use std::time::Duration;

use super::replica::{wait_acknowledged, wait_for, wait_synced};
use super::standalone::RedisServer;

/// The service name the sentinels monitor.
pub const SENTINEL_SERVICE: &str = "mymaster";

/// A Sentinel deployment on loopback: one master, one replica, three sentinels with quorum 2,
/// `down-after-milliseconds` 1000 and `failover-timeout` 5000 (a killed master is replaced in
/// about 2.5 s).
#[derive(Debug)]
pub struct RedisSentinel {
    master: RedisServer,
    replica: RedisServer,
    sentinels: Vec<RedisServer>,
}

impl RedisSentinel {
    /// Starts everything and waits until every sentinel sees the replica and the other sentinels.
    pub fn spawn() -> io::Result<Self> {
        Self::start(None)
    }

    /// [`RedisSentinel::spawn`] with `password` on the master and the replica (`requirepass`,
    /// `masterauth`), which the sentinels know (`sentinel auth-pass`); the sentinels themselves
    /// need none.
    pub fn spawn_with_password(password: &str) -> io::Result<Self> {
        Self::start(Some(password))
    }

    fn start(password: Option<&str>) -> io::Result<Self> {
        let data = || match password {
            Some(password) => RedisServer::builder().password(password),
            None => RedisServer::builder(),
        };
        let master = data().spawn()?;
        let replica = data().replica_of(master.port()).spawn()?;
        wait_synced(&replica, Duration::from_secs(15))?;
        wait_acknowledged(&master)?;
        let sentinels = (0..3)
            .map(|_| {
                RedisServer::builder()
                    .sentinel_of(SENTINEL_SERVICE, master.port(), password)
                    .spawn()
            })
            .collect::<io::Result<Vec<_>>>()?;
        let deployment = Self { master, replica, sentinels };
        wait_for(Duration::from_secs(30), "the sentinels to discover each other", || {
            deployment.sentinels.iter().all(|s| {
                let Ok(reply) =
                    s.admin().and_then(|mut a| a.cmd(&["SENTINEL", "MASTER", SENTINEL_SERVICE]))
                else {
                    return false;
                };
                let items = reply.items();
                let get = |name: &str| {
                    items
                        .chunks(2)
                        .find(|kv| kv[0].text().as_deref() == Some(name))
                        .and_then(|kv| kv.get(1)?.int())
                };
                get("num-slaves") >= Some(1) && get("num-other-sentinels") >= Some(2)
            })
        })?;
        Ok(deployment)
    }

    /// The initial master.
    pub fn master(&self) -> &RedisServer {
        &self.master
    }

    /// The initial replica.
    pub fn replica(&self) -> &RedisServer {
        &self.replica
    }

    /// The sentinels.
    pub fn sentinels(&self) -> &[RedisServer] {
        &self.sentinels
    }

    /// `(host, port)` of each sentinel.
    pub fn sentinel_addrs(&self) -> Vec<(String, u16)> {
        self.sentinels.iter().map(|s| ("127.0.0.1".to_owned(), s.port())).collect()
    }

    /// The monitored service's name.
    pub fn service(&self) -> &'static str {
        SENTINEL_SERVICE
    }

    /// The port of the current master, as the first reachable sentinel reports it.
    pub fn current_master_port(&self) -> io::Result<u16> {
        for sentinel in self.sentinels.iter().filter(|s| s.is_running()) {
            let Ok(reply) = sentinel.admin().and_then(|mut a| {
                a.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_SERVICE])
            }) else {
                continue;
            };
            if let Some(port) = reply.items().get(1).and_then(|p| p.int()) {
                return u16::try_from(port).map_err(|_| io::Error::other("bad port"));
            }
        }
        Err(io::Error::other("no sentinel answered"))
    }
}
