//! `QuorumBuilder`: nodes and timings of a Redlock quorum.

use std::sync::Arc;
use std::time::Duration;

use super::Quorum;
use crate::backend::{DynLockBackend, LockBackend};
use crate::error::Error;
use crate::timing::Drift;

/// How long one node may take to answer before it counts as failed.
pub const DEFAULT_NODE_TIMEOUT: Duration = Duration::from_millis(200);

/// Builds a [`Quorum`].
///
/// ```
/// use std::time::Duration;
/// use lock_core::{MemoryBackend, Quorum};
///
/// let quorum = Quorum::builder()
///     .node(MemoryBackend::new())
///     .node(MemoryBackend::new())
///     .node(MemoryBackend::new())
///     .node_timeout(Duration::from_millis(50))
///     .build()?;
/// assert_eq!(quorum.nodes(), 3);
/// assert!(Quorum::builder().build().is_err(), "no nodes");
/// # Ok::<(), lock_core::Error>(())
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct QuorumBuilder {
    nodes: Vec<Arc<DynLockBackend>>,
    node_timeout: Option<Duration>,
    drift: Option<Drift>,
}

impl QuorumBuilder {
    /// Adds a node.
    pub fn node<B: LockBackend>(mut self, backend: B) -> Self {
        self.nodes.push(Arc::new(backend));
        self
    }

    /// Adds a node that is already shared.
    pub fn shared_node(mut self, backend: Arc<DynLockBackend>) -> Self {
        self.nodes.push(backend);
        self
    }

    /// How long one node may take per operation (default [`DEFAULT_NODE_TIMEOUT`]; an acquire or
    /// extend also waits no longer than a third of the ttl). Keep it small against the ttl.
    pub fn node_timeout(mut self, timeout: Duration) -> Self {
        self.node_timeout = Some(timeout);
        self
    }

    /// The clock-drift allowance subtracted from the ttl when deciding whether an acquire won in
    /// time (default: 1 % of the ttl + 2 ms).
    pub fn drift(mut self, drift: Drift) -> Self {
        self.drift = Some(drift);
        self
    }

    /// Checks the nodes: at least one, and no store twice (the same backend object, or two
    /// backends reporting the same [`LockBackend::endpoint`]), since a store counted twice would
    /// fake a majority.
    ///
    /// The check is only as good as the endpoints. The Redis backends that connect when built
    /// (`RedisBackend::connect` and `from_client` in lock-redis; `FredBackend::connect`,
    /// `connect_config` and `connect_pool` in lock-fred, except on a cluster) name the server by
    /// its `run_id`, so one server is refused however it was addressed and whichever database
    /// was selected. Backends built without I/O from a connection, pool or client you made, and
    /// those whose user may not run `INFO`, report the address they were given
    /// (`redis://host:port/db`): the same server under two addresses (`localhost` and
    /// `127.0.0.1`) or in two databases then passes unnoticed, so give each node its own server.
    pub fn build(self) -> Result<Quorum, Error> {
        if self.nodes.is_empty() {
            return Err(Error::invalid("quorum", "a quorum needs at least one node"));
        }
        for (i, a) in self.nodes.iter().enumerate() {
            for (j, b) in self.nodes.iter().enumerate().take(i) {
                let same_object = std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b));
                let endpoint = a.endpoint();
                let same_store = endpoint.is_some() && endpoint == b.endpoint();
                if same_object || same_store {
                    let what = endpoint.unwrap_or_else(|| "the same backend object".to_owned());
                    return Err(Error::invalid(
                        "quorum",
                        format!("nodes {j} and {i} are the same store ({what})"),
                    ));
                }
            }
        }
        let timeout = self.node_timeout.unwrap_or(DEFAULT_NODE_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid("node timeout", "a zero timeout fails every node"));
        }
        Ok(Quorum::assemble(self.nodes, timeout, self.drift.unwrap_or_default()))
    }
}
