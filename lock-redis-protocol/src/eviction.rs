//! Whether a Redis server may evict held locks: its `maxmemory-policy`, read once at connect,
//! and what a backend does about it ([`ConnectOptions`], [`EvictionCheck`]).

use lock_core::{BackendError, BackendErrorKind};

use crate::keyspace::KeyspaceEvents;

/// The only `maxmemory-policy` under which Redis never evicts a key: when memory is full, writes
/// fail with `OOM` (a temporary error the lock manager retries) instead.
pub const SAFE_POLICY: &str = "noeviction";

/// What a constructor that reads the server's `maxmemory-policy` at connect does when the policy
/// lets Redis evict keys (anything but `noeviction`). Every lock key has an expiry, so the
/// `volatile-*` policies may evict held locks as readily as the `allkeys-*` ones; another client
/// then takes a lock that is still held, and mutual exclusion is gone without anyone being told.
///
/// A policy that cannot be read (the ACL refuses `INFO`) is unknown and accepted quietly by
/// every variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvictionCheck {
    /// Read the policy and log one `tracing` warning per backend built on an unsafe one.
    #[default]
    Warn,
    /// Read the policy and refuse an unsafe one: the constructor fails with a
    /// [`BackendErrorKind::Config`] error (not temporary) naming the policy.
    Refuse,
    /// Do not read the policy (one `INFO` reply less to parse; the backend's eviction policy is
    /// then unknown).
    Off,
}

/// Options of the Redis backends' connecting constructors (`connect_with` and the like in
/// lock-redis and lock-fred). Build with [`ConnectOptions::new`] (or `default()`) and the
/// setters; new options may be added.
///
/// ```
/// use lock_redis_protocol::{ConnectOptions, EvictionCheck};
/// let strict = ConnectOptions::new().eviction(EvictionCheck::Refuse);
/// assert_eq!(strict.eviction_check(), EvictionCheck::Refuse);
/// assert_eq!(ConnectOptions::default().eviction_check(), EvictionCheck::Warn);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectOptions {
    eviction: EvictionCheck,
    keyspace: KeyspaceEvents,
}

impl ConnectOptions {
    /// The defaults: [`EvictionCheck::Warn`], [`KeyspaceEvents::Auto`].
    pub fn new() -> Self {
        Self::default()
    }

    /// What to do about a server whose `maxmemory-policy` may evict held locks.
    pub fn eviction(mut self, check: EvictionCheck) -> Self {
        self.eviction = check;
        self
    }

    /// The eviction check these options ask for.
    pub fn eviction_check(&self) -> EvictionCheck {
        self.eviction
    }

    /// Whether waiters also wake on the server's keyspace notifications (a lock deleted or
    /// expired by any client); see [`KeyspaceEvents`]. Not on a cluster, whose nodes publish
    /// them only to subscribers connected to the key's own node.
    pub fn keyspace_events(mut self, events: KeyspaceEvents) -> Self {
        self.keyspace = events;
        self
    }

    /// The keyspace-event setting these options ask for.
    pub fn keyspace(&self) -> KeyspaceEvents {
        self.keyspace
    }
}

/// The `maxmemory_policy` field of an `INFO` reply (the `memory` section, which plain `INFO`
/// includes); `None` when the reply has none.
///
/// ```
/// let info = "# Memory\r\nmaxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n";
/// assert_eq!(lock_redis_protocol::eviction::maxmemory_policy(info).as_deref(), Some("allkeys-lru"));
/// assert_eq!(lock_redis_protocol::eviction::maxmemory_policy("# Server\r\nredis_version:7.0.15\r\n"), None);
/// ```
pub fn maxmemory_policy(info: &str) -> Option<String> {
    let policy = info.lines().find_map(|line| line.trim().strip_prefix("maxmemory_policy:"))?;
    let policy = policy.trim();
    (!policy.is_empty()).then(|| policy.to_owned())
}

/// Why `policy` is unsafe for locks, as one sentence ending with the fix; `None` for
/// `noeviction` (case-insensitive).
///
/// ```
/// let why = lock_redis_protocol::eviction::eviction_risk("volatile-ttl").expect("unsafe");
/// assert!(why.starts_with("maxmemory-policy volatile-ttl lets Redis evict held locks"));
/// assert!(why.ends_with("set maxmemory-policy noeviction"));
/// assert_eq!(lock_redis_protocol::eviction::eviction_risk("noeviction"), None);
/// ```
pub fn eviction_risk(policy: &str) -> Option<String> {
    if policy.eq_ignore_ascii_case(SAFE_POLICY) {
        return None;
    }
    let why = if policy.to_ascii_lowercase().starts_with("volatile-") {
        "every lock key has an expiry, so a volatile-* policy evicts locks like any other key"
    } else {
        "an evicted lock is free for another client while its holder still believes it holds it"
    };
    Some(format!(
        "maxmemory-policy {policy} lets Redis evict held locks when memory is full ({why}); \
         set maxmemory-policy noeviction"
    ))
}

/// Of the policies several servers reported, each with where it came from (the masters of a
/// cluster), the one that matters: the first that may evict locks, else the first reported
/// (`noeviction`); `None` when none was.
///
/// ```
/// let seen = [("a:7000", "noeviction".to_owned()), ("b:7001", "allkeys-lfu".to_owned())];
/// assert_eq!(lock_redis_protocol::eviction::worst_policy(seen), Some(("b:7001", "allkeys-lfu".to_owned())));
/// assert_eq!(lock_redis_protocol::eviction::worst_policy(Vec::<(&str, String)>::new()), None);
/// ```
pub fn worst_policy<W>(found: impl IntoIterator<Item = (W, String)>) -> Option<(W, String)> {
    let mut first = None;
    for (at, policy) in found {
        if eviction_risk(&policy).is_some() {
            return Some((at, policy));
        }
        first = first.or(Some((at, policy)));
    }
    first
}

/// Applies `check` to the `policy` read at connect from the server(s) at `endpoint` (no
/// password in it): `Ok` when the policy is `noeviction` or unknown, or after one
/// `tracing::warn!` ([`EvictionCheck::Warn`]); a [`BackendErrorKind::Config`] error, not
/// temporary, naming the server, the policy and the fix ([`EvictionCheck::Refuse`]).
///
/// ```
/// use lock_core::BackendErrorKind;
/// use lock_redis_protocol::EvictionCheck;
/// use lock_redis_protocol::eviction::check_eviction;
///
/// assert!(check_eviction("redis", EvictionCheck::Refuse, "redis://h:6379/0", Some("noeviction")).is_ok());
/// assert!(check_eviction("redis", EvictionCheck::Refuse, "redis://h:6379/0", None).is_ok());
/// assert!(check_eviction("redis", EvictionCheck::Warn, "redis://h:6379/0", Some("allkeys-lru")).is_ok());
/// let refused = check_eviction("redis", EvictionCheck::Refuse, "redis://h:6379/0", Some("allkeys-lru"))
///     .expect_err("refused");
/// assert_eq!(refused.kind(), BackendErrorKind::Config);
/// assert!(!refused.is_temporary());
/// assert!(refused.message().contains("maxmemory-policy allkeys-lru lets Redis evict held locks"));
/// ```
pub fn check_eviction(
    backend: &'static str,
    check: EvictionCheck,
    endpoint: &str,
    policy: Option<&str>,
) -> Result<(), BackendError> {
    let Some(risk) = policy.and_then(eviction_risk) else {
        return Ok(());
    };
    match check {
        EvictionCheck::Off => Ok(()),
        EvictionCheck::Warn => {
            tracing::warn!(
                backend,
                endpoint,
                policy,
                "{endpoint}: {risk} (connect with EvictionCheck::Refuse to refuse such a server)"
            );
            Ok(())
        }
        EvictionCheck::Refuse => Err(BackendError::new(
            backend,
            BackendErrorKind::Config,
            format!("refusing {endpoint}: {risk}"),
        )
        .with_temporary(false)),
    }
}
