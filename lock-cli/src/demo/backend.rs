//! Where the demo's locks live: in-process (`MemoryBackend`), or on Redis with `--url`, under a
//! prefix unique to the run (`lock:demo:<random>:`) so runs never collide.

use std::time::Duration;

use lock_core::{LockManager, LockManagerBuilder, LockToken, MemoryBackend};

use crate::cli::DemoArgs;
use crate::endpoint::Connection;

/// Hex digits of randomness in the prefix of a run on Redis.
const RUN_ID_LEN: usize = 8;

/// The demo's manager and, on Redis, what to tidy up afterwards.
#[derive(Debug)]
pub(crate) struct DemoBackend {
    /// The manager the workers share.
    pub(crate) locks: LockManager,
    /// The Redis connection, for [`DemoBackend::tidy`].
    redis: Option<Connection>,
}

impl DemoBackend {
    /// Connects to `args.url` (or builds the in-process backend) and a manager with the demo's
    /// ttl and retry policy.
    pub(crate) async fn open(
        args: &DemoArgs,
        retry: lock_core::RetryPolicy,
    ) -> Result<Self, String> {
        let settings = |builder: LockManagerBuilder| {
            builder
                .ttl(Duration::from_millis(args.ttl_ms))
                .retry(retry)
                .build()
                .map_err(|e| format!("bad settings: {e}"))
        };
        let Some(url) = &args.url else {
            return Ok(Self {
                locks: settings(LockManager::builder(MemoryBackend::new()))?,
                redis: None,
            });
        };
        let run = LockToken::generate().map_err(|e| e.to_string())?;
        let run = run.as_str().map_or("run", |hex| &hex[..RUN_ID_LEN.min(hex.len())]).to_owned();
        let prefix = format!("lock:demo:{run}:");
        let conn = Connection::open(url, &prefix).await?;
        eprintln!("demo locks under `{prefix}` on {}", conn.endpoint.describe());
        let locks = settings(LockManager::builder(conn.backend.clone()).prefix(&prefix))?;
        Ok(Self { locks, redis: Some(conn) })
    }

    /// On Redis, gives the run's fencing counters the locks' ttl, so nothing of the run outlives
    /// its locks (lock keys expire by themselves). Best effort: a failure is only reported.
    pub(crate) async fn tidy(&self, keys: usize, ttl_ms: u64) {
        let Some(conn) = &self.redis else {
            return;
        };
        let family = [super::worker::SEMAPHORE.to_owned(), super::worker::RW_LOCK.to_owned()];
        for name in (0..keys).map(super::worker::lock_name).chain(family) {
            let Ok(key) = conn.locks.key(name) else {
                continue;
            };
            let counter = lock_redis_protocol::layout::fence_key(&key);
            let mut cmd = lock_redis::redis::cmd("PEXPIRE");
            cmd.arg(&counter).arg(ttl_ms.max(1));
            if let Err(e) = conn.query(&cmd).await {
                eprintln!("note: could not set an expiry on the demo's fencing counters: {e}");
                return;
            }
        }
    }
}
