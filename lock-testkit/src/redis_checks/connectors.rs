//! How a check gets a backend for a server it started.

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use lock_core::{BackendError, DynLockBackend};

/// Builds a backend for a target (a URL, or a cluster's node URLs).
pub type Factory<A> =
    Box<dyn Fn(A) -> BoxFuture<'static, Result<Arc<DynLockBackend>, BackendError>> + Send + Sync>;

/// How to connect the backend under test to the servers a check starts.
pub struct Connectors {
    /// To a standalone server, by URL (which may carry a user and password).
    pub standalone: Factory<String>,
    /// To a cluster, by the URLs of its nodes.
    pub cluster: Factory<Vec<String>>,
    /// Through Sentinel, for backends that support it (`None` skips the Sentinel scenarios).
    pub sentinel: Option<Factory<SentinelTarget>>,
}

/// A Sentinel deployment to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelTarget {
    /// `(host, port)` of each sentinel.
    pub sentinels: Vec<(String, u16)>,
    /// The monitored service.
    pub service: String,
    /// WAIT mode: replicas that must confirm each acquire and extend, and how long to wait.
    pub wait: Option<(u32, std::time::Duration)>,
}

impl fmt::Debug for Connectors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connectors").finish_non_exhaustive()
    }
}
