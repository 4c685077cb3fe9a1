//! The `KEYS` and `ARGV` of each script call.

use std::borrow::Cow;
use std::time::Duration;

use lock_core::{LockKey, LockToken, RwMode, backend::ttl_millis};

use crate::layout::{
    fence_key, holds_key, mark_key, metadata_key, permits_key, queue_key, release_channel,
    waiters_key, writer_key, written_key,
};
use crate::scripts::{
    ACQUIRE, EXTEND, EXTEND_MANY, FAIR_ACQUIRE, FAIR_RELEASE, GUARDED_WRITE, INSPECT, LuaScript,
    MARK, METADATA_INSPECT, MULTI_ACQUIRE, PERMIT_ACQUIRE, PERMIT_EXTEND, PERMIT_INSPECT,
    PERMIT_RELEASE, READ_DATA, RELEASE, RW_ACQUIRE, RW_INSPECT, RW_RELEASE,
};

/// How a release wakes the lock's waiters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Publish {
    /// It does not (no release notification).
    #[default]
    Off,
    /// `PUBLISH` (standalone servers and Sentinel-managed ones).
    Classic,
    /// `SPUBLISH`, sharded pub/sub (Redis Cluster, Redis 7 or later): the message stays on the
    /// shard that owns the lock's slot.
    Sharded,
}

/// One `KEYS` or `ARGV` element: borrowed from the caller's key and token where it can be,
/// so building a call copies nothing a client will copy again.
pub type Arg<'a> = Cow<'a, [u8]>;

/// One script call: the script, its `KEYS`, its `ARGV`.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The script.
    pub script: &'static LuaScript,
    /// `KEYS`, in order.
    pub keys: Vec<Arg<'a>>,
    /// `ARGV`, in order.
    pub args: Vec<Arg<'a>>,
}

impl Call<'_> {
    /// Total bytes in `KEYS` and `ARGV`, for sizing a client's command buffer.
    pub fn payload_len(&self) -> usize {
        self.keys.iter().chain(&self.args).map(|a| a.len()).sum()
    }
}

/// One plain command (not a script): its name, then its arguments, the key first (so a cluster
/// client routes it by that key).
#[derive(Debug, Clone)]
pub struct Command<'a> {
    /// The command's name, e.g. `SET`.
    pub name: &'static str,
    /// Its arguments, in order; the first is the key.
    pub args: Vec<Arg<'a>>,
}

/// `SET key token NX PX ttl`: the acquire fast path without fencing, one command with no
/// script around it. Replies `OK` when it took the free key, nil when the key exists (held by
/// another, or by `token` itself: then the acquire script decides, see
/// [`crate::ScriptRunner::run_command`]).
pub fn set_if_absent<'a>(key: &'a LockKey, token: &'a LockToken, ttl: Duration) -> Command<'a> {
    Command {
        name: "SET",
        args: vec![
            Cow::Borrowed(key.as_bytes()),
            Cow::Borrowed(token.as_bytes()),
            Cow::Borrowed(b"NX"),
            Cow::Borrowed(b"PX"),
            millis(ttl),
        ],
    }
}

fn millis(ttl: Duration) -> Arg<'static> {
    Cow::Owned(ttl_millis(ttl).to_string().into_bytes())
}

/// The fencing counter's ttl for a grant of `ttl`: [`FENCE_COUNTER_GRACE`] longer.
fn counter_ttl(ttl: Duration) -> Arg<'static> {
    millis(ttl.saturating_add(FENCE_COUNTER_GRACE))
}

/// The scripts' fencing flag.
fn flag(fencing: bool) -> Arg<'static> {
    Cow::Borrowed(if fencing { b"1" } else { b"0" })
}

/// `key` and the keys beside it (each in `key`'s cluster slot) that a script touches.
fn keys_of<'a, const N: usize>(
    key: &'a LockKey,
    beside: [fn(&LockKey) -> Vec<u8>; N],
) -> Vec<Arg<'a>> {
    let mut keys = Vec::with_capacity(N + 1);
    keys.push(Cow::Borrowed(key.as_bytes()));
    keys.extend(beside.iter().map(|of| Cow::Owned(of(key))));
    keys
}

/// How much longer than its lock a fencing counter lives (it is set with the lock's ttl plus
/// this at every grant): while it lives, fences rise whatever the server's clock does; after,
/// they rest on the clock alone (see SAFETY.md, "Fences").
pub const FENCE_COUNTER_GRACE: Duration = Duration::from_secs(600);

/// `try_acquire(key, token, ttl)` (and `acquire_lease` of a [`lock_core::backend::Lease::Lock`]);
/// with `fencing`, a new grant records a fence above the last one and at least the server's clock
/// in µs, in the key's counter (which expires [`FENCE_COUNTER_GRACE`] after the lock's ttl).
pub fn acquire<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    ttl: Duration,
    fencing: bool,
) -> Call<'a> {
    let mut args = vec![Cow::Borrowed(token.as_bytes()), millis(ttl), flag(fencing)];
    if fencing {
        args.push(counter_ttl(ttl));
    }
    Call { script: &ACQUIRE, keys: keys_of(key, [fence_key, mark_key]), args }
}

/// Leaves a waiter's mark beside `key`'s lock for as long as its holder's ttl and `extra` (see
/// [`mark_key`]): what a refused attempt leaves, for a watch made without one. Replies the
/// lock's PTTL (-1: no expiry; -2: no lock).
pub fn mark_waiting(key: &LockKey, extra: Duration) -> Call<'_> {
    Call { script: &MARK, keys: keys_of(key, [mark_key]), args: vec![millis(extra)] }
}

/// `release(key, token)`, waking waiters as `publish` says.
pub fn release<'a>(key: &'a LockKey, token: &'a LockToken, publish: Publish) -> Call<'a> {
    let (mode, channel) = publish_args(key, publish);
    Call {
        script: &RELEASE,
        // The waiter mark and the metadata hash go with the lock, whichever call took it (as
        // in MemoryBackend).
        keys: keys_of(key, [mark_key, metadata_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), mode, channel],
    }
}

/// `extend(key, token, ttl)`.
pub fn extend<'a>(key: &'a LockKey, token: &'a LockToken, ttl: Duration) -> Call<'a> {
    Call {
        script: &EXTEND,
        keys: keys_of(key, [fence_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), millis(ttl), counter_ttl(ttl)],
    }
}

fn publish_args<'a>(key: &LockKey, publish: Publish) -> (Arg<'a>, Arg<'a>) {
    match publish {
        Publish::Off => (Cow::Borrowed(b"0"), Cow::Borrowed(b"")),
        Publish::Classic => (Cow::Borrowed(b"1"), Cow::Owned(release_channel(key).into_bytes())),
        Publish::Sharded => (Cow::Borrowed(b"2"), Cow::Owned(release_channel(key).into_bytes())),
    }
}

/// `acquire_lease(key, token, Lease::Fair { queue_ttl }, ttl)`; fences as [`acquire`] issues them.
/// A lock handed over by this attempt wakes its new holder as `publish` says.
pub fn fair_acquire<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    ttl: Duration,
    queue_ttl: Duration,
    fencing: bool,
    publish: Publish,
) -> Call<'a> {
    let (mode, channel) = publish_args(key, publish);
    Call {
        script: &FAIR_ACQUIRE,
        keys: keys_of(key, [fence_key, queue_key, waiters_key]),
        args: vec![
            Cow::Borrowed(token.as_bytes()),
            millis(ttl),
            flag(fencing),
            counter_ttl(ttl),
            millis(queue_ttl),
            channel,
            mode,
        ],
    }
}

/// `release_lease(key, token, LeaseKind::Fair)`: releases and hands over, waking as `publish` says.
/// A handoff's grant gets the counter's grace over the longest ttl a place can hand over.
pub fn fair_release<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    publish: Publish,
    fencing: bool,
) -> Call<'a> {
    let (mode, channel) = publish_args(key, publish);
    Call {
        script: &FAIR_RELEASE,
        keys: keys_of(key, [fence_key, queue_key, waiters_key, metadata_key]),
        args: vec![
            Cow::Borrowed(token.as_bytes()),
            mode,
            channel,
            flag(fencing),
            counter_ttl(lock_core::limits::FAIR_QUEUE_TTL),
        ],
    }
}

/// `extend_batch(items)`: each item's lock and fencing counter, and its token, ttl and the
/// counter's least ttl (one slot on a cluster).
pub fn extend_many<'a>(items: &[lock_core::backend::ExtendItem<'a>]) -> Call<'a> {
    let mut keys = Vec::with_capacity(items.len() * 2);
    let mut args = Vec::with_capacity(items.len() * 3);
    for item in items {
        keys.push(Cow::Borrowed(item.key.as_bytes()));
        keys.push(Cow::Owned(fence_key(item.key)));
        args.push(Cow::Borrowed(item.token.as_bytes()));
        args.push(millis(item.ttl));
        args.push(counter_ttl(item.ttl));
    }
    Call { script: &EXTEND_MANY, keys, args }
}

/// `acquire_lease(key, token, Lease::Permit { limit }, ttl)`; fences as [`acquire`] issues them,
/// from the same counter.
pub fn permit_acquire<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    limit: u32,
    ttl: Duration,
    fencing: bool,
) -> Call<'a> {
    Call {
        script: &PERMIT_ACQUIRE,
        keys: keys_of(key, [permits_key, fence_key, holds_key]),
        args: vec![
            Cow::Borrowed(token.as_bytes()),
            Cow::Owned(limit.to_string().into_bytes()),
            millis(ttl),
            flag(fencing),
            counter_ttl(ttl),
        ],
    }
}

/// `release_lease(key, token, LeaseKind::Permit)`, waking waiters as `publish` says.
pub fn permit_release<'a>(key: &'a LockKey, token: &'a LockToken, publish: Publish) -> Call<'a> {
    let (mode, channel) = publish_args(key, publish);
    Call {
        script: &PERMIT_RELEASE,
        keys: keys_of(key, [permits_key, holds_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), mode, channel],
    }
}

/// `extend_lease(key, token, LeaseKind::Permit, ttl)`.
pub fn permit_extend<'a>(key: &'a LockKey, token: &'a LockToken, ttl: Duration) -> Call<'a> {
    Call {
        script: &PERMIT_EXTEND,
        keys: keys_of(key, [permits_key, holds_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), millis(ttl), Cow::Borrowed(b"p")],
    }
}

/// `inspect_lease(key, LeaseKind::Permit)`.
pub fn permit_inspect(key: &LockKey) -> Call<'_> {
    Call { script: &PERMIT_INSPECT, keys: keys_of(key, [permits_key, holds_key]), args: Vec::new() }
}

/// The mode letter the reader-writer scripts use.
fn mode_arg(mode: RwMode) -> &'static [u8] {
    match mode {
        RwMode::Read => b"r",
        RwMode::UpgradeableRead => b"u",
        _ => b"w",
    }
}

/// `acquire_lease(key, token, Lease::Rw(mode), ttl)`; fences from the lock's counter. An upgrade
/// given up (a read asked again by the token that marked the lock) wakes waiters as `publish` says.
pub fn rw_acquire<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    mode: RwMode,
    ttl: Duration,
    fencing: bool,
    publish: Publish,
) -> Call<'a> {
    let (wake, channel) = publish_args(key, publish);
    Call {
        script: &RW_ACQUIRE,
        keys: keys_of(key, [holds_key, fence_key, writer_key]),
        args: vec![
            Cow::Borrowed(token.as_bytes()),
            Cow::Borrowed(mode_arg(mode)),
            millis(ttl),
            flag(fencing),
            counter_ttl(ttl),
            wake,
            channel,
        ],
    }
}

/// `release_lease(key, token, LeaseKind::Rw)`, waking waiters as `publish` says.
pub fn rw_release<'a>(key: &'a LockKey, token: &'a LockToken, publish: Publish) -> Call<'a> {
    let (mode, channel) = publish_args(key, publish);
    Call {
        script: &RW_RELEASE,
        keys: keys_of(key, [holds_key, writer_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), mode, channel],
    }
}

/// `extend_lease(key, token, LeaseKind::Rw, ttl)`.
pub fn rw_extend<'a>(key: &'a LockKey, token: &'a LockToken, ttl: Duration) -> Call<'a> {
    Call {
        // The same script as a permit's: both extend one member of a sorted set of holds.
        script: &PERMIT_EXTEND,
        keys: keys_of(key, [holds_key]),
        args: vec![Cow::Borrowed(token.as_bytes()), millis(ttl), Cow::Borrowed(b"r")],
    }
}

/// `inspect_lease(key, LeaseKind::Rw)`.
pub fn rw_inspect(key: &LockKey) -> Call<'_> {
    Call { script: &RW_INSPECT, keys: keys_of(key, [holds_key, writer_key]), args: Vec::new() }
}

/// `inspect(key)`.
pub fn inspect(key: &LockKey) -> Call<'_> {
    Call { script: &INSPECT, keys: keys_of(key, [fence_key]), args: Vec::new() }
}

/// `acquire_lease(key, token, Lease::Metadata(metadata), ttl)`: [`acquire`], also replacing the
/// lock's metadata hash on a grant.
pub fn acquire_with_metadata<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    ttl: Duration,
    fencing: bool,
    metadata: &'a lock_core::Metadata,
) -> Call<'a> {
    let mut call = acquire(key, token, ttl, fencing);
    if !fencing {
        call.args.push(counter_ttl(ttl));
    }
    call.keys.push(Cow::Owned(metadata_key(key)));
    for (name, value) in metadata.iter() {
        call.args.push(Cow::Borrowed(name.as_bytes()));
        call.args.push(Cow::Borrowed(value.as_bytes()));
    }
    call
}

/// `try_acquire_all(keys, tokens, ttl)`; fences as [`acquire`] issues them, each from its own
/// lock's counter.
pub fn multi_acquire<'a>(
    keys: &'a [LockKey],
    tokens: &'a [LockToken],
    ttl: Duration,
    fencing: bool,
) -> Call<'a> {
    let mut args = vec![millis(ttl), flag(fencing), counter_ttl(ttl)];
    args.extend(tokens.iter().map(|t| Cow::Borrowed(t.as_bytes())));
    let keys = keys
        .iter()
        .flat_map(|k| {
            [Cow::Borrowed(k.as_bytes()), Cow::Owned(fence_key(k)), Cow::Owned(mark_key(k))]
        })
        .collect();
    Call { script: &MULTI_ACQUIRE, keys, args }
}

/// `extend_lease(key, token, LeaseKind::Metadata, ttl)`.
pub fn extend_with_metadata<'a>(key: &'a LockKey, token: &'a LockToken, ttl: Duration) -> Call<'a> {
    let mut call = extend(key, token, ttl);
    call.keys.push(Cow::Owned(metadata_key(key)));
    call
}

/// `inspect_metadata(key)`.
pub fn metadata_inspect(key: &LockKey) -> Call<'_> {
    Call { script: &METADATA_INSPECT, keys: keys_of(key, [metadata_key]), args: Vec::new() }
}

/// `write_if_held(key, token, data_key, value, fence)`.
pub fn guarded_write<'a>(
    key: &'a LockKey,
    token: &'a LockToken,
    data_key: &'a [u8],
    value: &'a [u8],
    fence: Option<lock_core::FencingToken>,
) -> Call<'a> {
    let fence =
        fence.map_or(Cow::Borrowed(&b""[..]), |f| Cow::Owned(f.get().to_string().into_bytes()));
    Call {
        script: &GUARDED_WRITE,
        keys: vec![
            Cow::Borrowed(key.as_bytes()),
            Cow::Borrowed(data_key),
            Cow::Owned(written_key(key)),
        ],
        args: vec![Cow::Borrowed(token.as_bytes()), Cow::Borrowed(value), fence],
    }
}

/// `read_data(data_key)`.
pub fn read_data(data_key: &[u8]) -> Call<'_> {
    Call { script: &READ_DATA, keys: vec![Cow::Borrowed(data_key)], args: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_stay_in_argv() {
        let key = LockKey::with_default_prefix("x') redis.call('flushall') --").expect("valid");
        let token = LockToken::from_user("') redis.call('flushall') --   ").expect("valid");
        let call = acquire(&key, &token, Duration::from_micros(1500), true);
        assert_eq!(call.script.sha1(), ACQUIRE.sha1());
        assert_eq!(call.keys[0].as_ref(), key.as_bytes());
        let args: Vec<&[u8]> = call.args.iter().map(|a| a.as_ref()).collect();
        assert_eq!(args, vec![token.as_bytes(), b"2", b"1", b"600002"]);
        assert_eq!(
            call.payload_len(),
            key.as_bytes().len()
                + call.keys[1].len()
                + call.keys[2].len()
                + token.as_bytes().len()
                + 2
                + 6
        );
        assert_eq!(call.keys[2], crate::layout::mark_key(&key));
    }
}
