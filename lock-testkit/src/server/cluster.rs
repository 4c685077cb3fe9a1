//! `RedisCluster`: masters (and optional replicas) joined with `redis-cli --cluster create`.

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use super::binary::cli_binary;
use super::standalone::RedisServer;

/// How long a new cluster may take to report `cluster_state:ok` everywhere.
const HEALTHY_TIMEOUT: Duration = Duration::from_secs(30);

/// A Redis Cluster on loopback: `masters` masters with `replicas` replicas each, node timeout
/// 1 s, every node its own [`RedisServer`] (so tests can kill or pause the master of a slot).
///
/// ```no_run
/// use lock_testkit::server::RedisCluster;
///
/// let cluster = RedisCluster::spawn(3, 1)?;
/// let urls = cluster.urls();
/// let owner = cluster.node_for_slot(12182)?; // the slot of `foo`
/// owner.kill(); // a replica takes over within about 2 s
/// cluster.wait_state_ok(std::time::Duration::from_secs(10))?;
/// # let _ = urls;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster, and waits until every node reports it healthy.
    pub fn spawn(masters: usize, replicas: usize) -> io::Result<Self> {
        if masters < 3 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Redis Cluster needs at least 3 masters",
            ));
        }
        let cli = cli_binary()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "redis-cli was not found"))?;
        let count = masters * (1 + replicas);
        let nodes = (0..count)
            .map(|_| RedisServer::builder().cluster().spawn())
            .collect::<io::Result<Vec<_>>>()?;
        let mut create = Command::new(cli);
        create.args(["--cluster", "create"]);
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port()));
        }
        create.args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"]);
        let output = create.output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let cluster = Self { nodes };
        cluster.wait_healthy(HEALTHY_TIMEOUT)?;
        Ok(cluster)
    }

    /// Every node, masters and replicas, as started.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The URL of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Waits until every node knows every other, all slots are served, and replicas are in
    /// sync.
    pub fn wait_healthy(&self, timeout: Duration) -> io::Result<()> {
        let started = Instant::now();
        let total = self.nodes.len();
        loop {
            let healthy = self.nodes.iter().all(|node| {
                let Ok(mut admin) = node.admin() else {
                    return false;
                };
                let Ok(info) = admin.cmd(&["CLUSTER", "INFO"]) else {
                    return false;
                };
                let info = info.text().unwrap_or_default();
                let known =
                    field(&info, "cluster_known_nodes").and_then(|n| n.parse::<usize>().ok());
                let synced = match admin.cmd(&["INFO", "replication"]).ok().and_then(|r| r.text()) {
                    Some(repl) if field(&repl, "role") == Some("slave") => {
                        field(&repl, "master_link_status") == Some("up")
                    }
                    Some(_) => true,
                    None => false,
                };
                field(&info, "cluster_state") == Some("ok")
                    && field(&info, "cluster_slots_ok") == Some("16384")
                    && known == Some(total)
                    && synced
            });
            if healthy {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the cluster did not become healthy",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until every running node reports `cluster_state:ok` with all slots served (after a
    /// node was killed and a replica took over).
    pub fn wait_state_ok(&self, timeout: Duration) -> io::Result<()> {
        let started = Instant::now();
        loop {
            let ok = self.nodes.iter().filter(|n| n.is_running()).all(|node| {
                let info = node.admin().and_then(|mut a| a.cmd(&["CLUSTER", "INFO"]));
                let info = info.ok().and_then(|i| i.text()).unwrap_or_default();
                field(&info, "cluster_state") == Some("ok")
                    && field(&info, "cluster_slots_ok") == Some("16384")
            });
            if ok {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the cluster did not recover"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The node currently serving `slot` as master, as the running nodes see it.
    pub fn node_for_slot(&self, slot: u16) -> io::Result<&RedisServer> {
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            let Ok(slots) = node.admin().and_then(|mut a| a.cmd(&["CLUSTER", "SLOTS"])) else {
                continue;
            };
            for range in slots.items() {
                let items = range.items();
                let (Some(start), Some(end)) =
                    (items.first().and_then(|v| v.int()), items.get(1).and_then(|v| v.int()))
                else {
                    continue;
                };
                if (start..=end).contains(&i64::from(slot)) {
                    let port = items.get(2).and_then(|m| m.items().get(1)).and_then(|p| p.int());
                    if let Some(owner) =
                        self.nodes.iter().find(|n| Some(i64::from(n.port())) == port)
                    {
                        return Ok(owner);
                    }
                }
            }
        }
        Err(io::Error::other(format!("no running node reports an owner for slot {slot}")))
    }
}

/// The value of `name:value` in an `INFO`-style text.
pub(crate) fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}
