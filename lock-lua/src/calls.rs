//! The `KEYS` and `ARGV` of each script call.

use std::time::Duration;

use lock_core::{LockKey, LockToken, ttl_millis};

use crate::layout::{fence_key, release_channel};
use crate::scripts::{ACQUIRE, EXTEND, INSPECT, LuaScript, RELEASE};

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

/// One script call: the script, its `KEYS`, its `ARGV`.
#[derive(Debug, Clone)]
pub struct Call {
    /// The script.
    pub script: &'static LuaScript,
    /// `KEYS`, in order.
    pub keys: Vec<Vec<u8>>,
    /// `ARGV`, in order.
    pub args: Vec<Vec<u8>>,
}

fn millis(ttl: Duration) -> Vec<u8> {
    ttl_millis(ttl).to_string().into_bytes()
}

/// `try_acquire(key, token, ttl)`; with `fencing`, the grant increments the key's counter.
pub fn acquire(key: &LockKey, token: &LockToken, ttl: Duration, fencing: bool) -> Call {
    let flag = if fencing { b"1" } else { b"0" };
    Call {
        script: &ACQUIRE,
        keys: vec![key.as_bytes().to_vec(), fence_key(key)],
        args: vec![token.as_bytes().to_vec(), millis(ttl), flag.to_vec()],
    }
}

/// `release(key, token)`, waking waiters as `publish` says.
pub fn release(key: &LockKey, token: &LockToken, publish: Publish) -> Call {
    let (mode, channel) = match publish {
        Publish::Off => (b"0", Vec::new()),
        Publish::Classic => (b"1", release_channel(key).into_bytes()),
        Publish::Sharded => (b"2", release_channel(key).into_bytes()),
    };
    Call {
        script: &RELEASE,
        keys: vec![key.as_bytes().to_vec()],
        args: vec![token.as_bytes().to_vec(), mode.to_vec(), channel],
    }
}

/// `extend(key, token, ttl)`.
pub fn extend(key: &LockKey, token: &LockToken, ttl: Duration) -> Call {
    Call {
        script: &EXTEND,
        keys: vec![key.as_bytes().to_vec()],
        args: vec![token.as_bytes().to_vec(), millis(ttl)],
    }
}

/// `inspect(key)`.
pub fn inspect(key: &LockKey) -> Call {
    Call { script: &INSPECT, keys: vec![key.as_bytes().to_vec(), fence_key(key)], args: Vec::new() }
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
        assert_eq!(call.keys[0], key.as_bytes());
        assert_eq!(call.args, vec![token.as_bytes().to_vec(), b"2".to_vec(), b"1".to_vec()]);
    }
}
