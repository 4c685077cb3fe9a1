//! Waking waiters on keyspace notifications: when the server publishes them (its
//! `notify-keyspace-events`), a lock deleted or expired by any client, ours or not, wakes the
//! waiters on it, not only a release by one of ours.

/// Whether the backends that connect ask the server about keyspace notifications and wake
/// waiters on them (see [`ConnectOptions::keyspace_events`](crate::ConnectOptions::keyspace_events)).
///
/// Release notification wakes waiters when one of our clients releases a lock: its release
/// script publishes on the lock's channel. A client of another library that deletes the key
/// (`DEL`), or a lock that simply expires, publishes nothing, and waiters sleep until their next
/// retry. When the server publishes keyspace notifications for generic commands and expiries
/// (`notify-keyspace-events` containing `K` and `g` and `x`, or `K` and `A`), waiters also
/// watch `__keyspace@<db>__:<lock key>` and wake on its `del`, `expired` and `evicted` events.
/// The library never changes the server's configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyspaceEvents {
    /// Read `notify-keyspace-events` at connect (`CONFIG GET`) and watch keyspace events when
    /// it has the flags above. A server that refuses `CONFIG GET` (an ACL, a managed service)
    /// counts as not publishing them.
    #[default]
    Auto,
    /// Watch keyspace events without asking the server (for a server that publishes them but
    /// refuses `CONFIG GET`). On a server that does not publish them, each waited-on lock costs
    /// one more subscription and nothing else.
    On,
    /// Never watch them.
    Off,
}

/// Whether a `notify-keyspace-events` setting publishes what wakes waiters: keyspace events
/// (`K`) of generic commands (`g`, for `DEL`/`UNLINK`) and expiries (`x`); `A` stands for
/// every class, `g` and `x` included.
///
/// ```
/// assert!(lock_redis_protocol::keyspace::keyspace_events_wake("Kgx"));
/// assert!(lock_redis_protocol::keyspace::keyspace_events_wake("AK"));
/// assert!(!lock_redis_protocol::keyspace::keyspace_events_wake("Egx"), "keyevent channels only");
/// assert!(!lock_redis_protocol::keyspace::keyspace_events_wake("Kx"), "no generic commands: DEL is silent");
/// assert!(!lock_redis_protocol::keyspace::keyspace_events_wake(""));
/// ```
pub fn keyspace_events_wake(flags: &str) -> bool {
    let has = |c| flags.contains(c);
    has('K') && (has('A') || (has('g') && has('x')))
}

/// The keyspace channel of `key` in database `db`: `__keyspace@<db>__:<key>`; `None` when the
/// key is not UTF-8 (channel names are text to some clients).
///
/// ```
/// use lock_core::LockKey;
/// let key = LockKey::with_default_prefix("jobs:42")?;
/// assert_eq!(lock_redis_protocol::keyspace::keyspace_channel(0, &key).as_deref(), Some("__keyspace@0__:lock:jobs:42"));
/// # Ok::<(), lock_core::Error>(())
/// ```
pub fn keyspace_channel(db: i64, key: &lock_core::LockKey) -> Option<String> {
    let key = std::str::from_utf8(key.as_bytes()).ok()?;
    Some(format!("__keyspace@{db}__:{key}"))
}

/// Whether a pub/sub message wakes the waiters on its channel: every message on a release
/// channel; on a keyspace channel only `del`, `expired` and `evicted` (not `expire`, which an
/// extension sends, nor `set`). Subscriber connections drop the others before the hub sees them.
///
/// ```
/// assert!(lock_redis_protocol::keyspace::wakes(b"lock:~released{a}jobs", b"1"));
/// assert!(lock_redis_protocol::keyspace::wakes(b"__keyspace@0__:lock:jobs", b"del"));
/// assert!(lock_redis_protocol::keyspace::wakes(b"__keyspace@0__:lock:jobs", b"expired"));
/// assert!(!lock_redis_protocol::keyspace::wakes(b"__keyspace@0__:lock:jobs", b"expire"));
/// assert!(!lock_redis_protocol::keyspace::wakes(b"__keyspace@0__:lock:jobs", b"set"));
/// ```
pub fn wakes(channel: &[u8], payload: &[u8]) -> bool {
    !channel.starts_with(b"__keyspace@") || matches!(payload, b"del" | b"expired" | b"evicted")
}
