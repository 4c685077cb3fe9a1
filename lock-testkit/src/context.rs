//! What every case gets: the backend and a private corner of the key space.

use std::env;
use std::sync::Arc;
use std::time::Duration;

use lock_core::{
    DynLockBackend, KeyPrefix, LockKey, LockManager, LockManagerBuilder, LockToken,
    backend::Capabilities,
};

use crate::failure::Failure;

/// Environment variable: multiply every ttl and wait of the suite by this factor (default 1;
/// raise it on slow machines or remote servers).
pub const TTL_SCALE_ENV: &str = "LOCK_TEST_TTL_SCALE";

/// The base under which each case gets its own random prefix.
pub const SUITE_PREFIX: &str = "lock:conformance:";

/// A case's view of the backend under test. Each context has its own random key prefix
/// (`lock:conformance:<random>:`), so cases never see each other's keys and the suite can run
/// against a shared server; nothing is ever flushed.
#[derive(Clone, Debug)]
pub struct TestContext {
    backend: Arc<DynLockBackend>,
    prefix: KeyPrefix,
    scale: f64,
}

impl TestContext {
    /// A context with a fresh random prefix.
    pub fn new(backend: Arc<DynLockBackend>) -> Self {
        let scale = env::var(TTL_SCALE_ENV)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(1.0);
        let tag: u64 = rand::random();
        let prefix = KeyPrefix::new(format!("{SUITE_PREFIX}{tag:016x}:")).unwrap_or_default();
        Self { backend, prefix, scale }
    }

    /// The backend under test.
    pub fn backend(&self) -> &Arc<DynLockBackend> {
        &self.backend
    }

    /// What it advertises.
    pub fn caps(&self) -> Capabilities {
        self.backend.info().capabilities
    }

    /// This case's prefix.
    pub fn prefix(&self) -> &KeyPrefix {
        &self.prefix
    }

    /// The key for `name` under this case's prefix.
    pub fn key(&self, name: impl AsRef<[u8]>) -> Result<LockKey, Failure> {
        self.prefix
            .key(name)
            .map_err(|e| Failure::new(format!("bad test key: {e}"), "TestContext::key"))
    }

    /// A freshly minted token.
    pub fn token(&self) -> Result<LockToken, Failure> {
        Ok(LockToken::generate()?)
    }

    /// `ms` milliseconds, times the ttl scale.
    pub fn ms(&self, ms: u64) -> Duration {
        Duration::from_millis(ms).mul_f64(self.scale)
    }

    /// A manager over the backend under this case's prefix.
    pub fn manager(&self) -> Result<LockManager, Failure> {
        Ok(self.manager_builder().build()?)
    }

    /// A manager builder over the backend, prefix set.
    pub fn manager_builder(&self) -> LockManagerBuilder {
        LockManager::builder_shared(self.backend.clone()).prefix(self.prefix.as_bytes())
    }

    /// Sleeps `ms` scaled milliseconds.
    pub async fn sleep(&self, ms: u64) {
        tokio::time::sleep(self.ms(ms)).await;
    }
}
