//! Where a lock's data lives: the lock key, its fencing counter and its wake-up channel, all
//! in one Redis Cluster hash slot.

use std::sync::OnceLock;

use lock_core::LockKey;

/// Number of Redis Cluster hash slots.
pub const SLOTS: u16 = 16384;

const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

/// The Redis Cluster hash slot of `key`: CRC16 of the key, or of its hash tag (the bytes between
/// the first `{` and the first `}` after it, when that is not empty), modulo 16384.
///
/// ```
/// assert_eq!(lock_redis_protocol::hash_slot(b"foo"), 12182);
/// assert_eq!(lock_redis_protocol::hash_slot(b"{user1000}.following"), lock_redis_protocol::hash_slot(b"user1000"));
/// assert_eq!(lock_redis_protocol::hash_slot(b"foo{}{bar}"), lock_redis_protocol::hash_slot(b"foo{}{bar}"));
/// ```
pub fn hash_slot(key: &[u8]) -> u16 {
    CRC16.checksum(hash_tag(key)) % SLOTS
}

fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|b| *b == b'{') else {
        return key;
    };
    let rest = &key[open + 1..];
    match rest.iter().position(|b| *b == b'}') {
        Some(len) if len > 0 => &rest[..len],
        _ => key,
    }
}

/// For each slot, a short alphanumeric string that hashes to it.
fn tags() -> &'static [[u8; 4]] {
    static TAGS: OnceLock<Vec<[u8; 4]>> = OnceLock::new();
    TAGS.get_or_init(|| {
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut table = vec![[0u8; 4]; usize::from(SLOTS)];
        let mut missing = usize::from(SLOTS);
        'search: for len in 1..=4 {
            let mut digits = vec![0usize; len];
            loop {
                let mut tag = [0u8; 4];
                for (i, d) in digits.iter().enumerate() {
                    tag[i] = ALPHABET[*d];
                }
                let slot = usize::from(CRC16.checksum(&tag[..len]) % SLOTS);
                if table[slot][0] == 0 {
                    table[slot] = tag;
                    missing -= 1;
                    if missing == 0 {
                        break 'search;
                    }
                }
                // Next combination, like an odometer.
                let mut i = 0;
                loop {
                    if i == len {
                        continue 'search;
                    }
                    digits[i] += 1;
                    if digits[i] < ALPHABET.len() {
                        break;
                    }
                    digits[i] = 0;
                    i += 1;
                }
            }
        }
        table
    })
}

/// A brace-free tag whose hash slot is `slot`.
fn tag_for_slot(slot: u16) -> &'static [u8] {
    let tag = &tags()[usize::from(slot % SLOTS)];
    let len = tag.iter().position(|b| *b == 0).unwrap_or(tag.len());
    &tag[..len]
}

/// The key of the fencing counter of `key`'s lock: `<prefix>~fence{<tag>}<name>`.
///
/// The lock key itself is `<prefix><name>`, a plain string holding the holder's token, exactly as
/// Go's redsync and bsm/redislock, python-redis-lock and other `SET NX` clients store it, so
/// they and we exclude each other. `<tag>` is a short string chosen to hash to the lock key's
/// cluster slot, so every name, braces included, keeps its keys in one slot. No lock key, under
/// any prefix, is a fencing counter: counters contain `~`, which neither prefixes nor names may
/// contain. Two locks never share a counter (the prefix ends at the first `~`, the tag at the
/// first `}` after it). Counters match `<prefix>*`, so an ACL such as `~lock:*` covers them.
///
/// ```
/// use lock_core::LockKey;
/// use lock_redis_protocol::hash_slot;
/// use lock_redis_protocol::layout::{fence_key, release_channel};
///
/// for name in ["jobs:42", "{}", "}", "a{b}c", "ünï"] {
///     let key = LockKey::with_default_prefix(name)?;
///     assert_eq!(hash_slot(&fence_key(&key)), hash_slot(key.as_bytes()));
///     assert_eq!(hash_slot(release_channel(&key).as_bytes()), hash_slot(key.as_bytes()));
///     assert!(fence_key(&key).starts_with(b"lock:~fence{"));
/// }
/// # Ok::<(), lock_core::Error>(())
/// ```
pub fn fence_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"fence")
}

/// Where a semaphore's permits record their fences: `<prefix>~permits{<tag>}<name>`, a hash
/// from holder token to fence, in the semaphore key's slot (see [`fence_key`]).
pub fn permits_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"permits")
}

/// Where a reader-writer lock keeps each hold's mode and fence and who writes:
/// `<prefix>~holds{<tag>}<name>`, a hash in the lock key's slot.
pub fn holds_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"holds")
}

/// A reader-writer lock's waiting writer: `<prefix>~writer{<tag>}<name>`, its token with the
/// ttl it asked for, in the lock key's slot.
pub fn writer_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"writer")
}

/// The data key called `name` of `key`'s lock, for guarded writes:
/// `<prefix>~data{<tag>}<name>~<data name>`, in the lock key's slot (see [`fence_key`]). The
/// lock's name ends at the first `~` after the tag, so two locks or two names never share one.
///
/// ```
/// use lock_core::LockKey;
/// use lock_redis_protocol::hash_slot;
/// use lock_redis_protocol::layout::data_key;
///
/// let key = LockKey::with_default_prefix("accounts:7")?;
/// let balance = data_key(&key, "balance");
/// assert_eq!(hash_slot(&balance), hash_slot(key.as_bytes()));
/// assert!(balance.starts_with(b"lock:~data{") && balance.ends_with(b"}accounts:7~balance"));
/// # Ok::<(), lock_core::Error>(())
/// ```
pub fn data_key(key: &LockKey, name: &str) -> Vec<u8> {
    let mut out = auxiliary(key, b"data");
    out.push(b'~');
    out.extend_from_slice(name.as_bytes());
    out
}

/// A waiter's mark beside a plain lock: `<prefix>~mark{<tag>}<name>`, in the lock key's slot. An
/// attempt the lock refused leaves it (for the holder's ttl and a margin); the release deletes
/// it with the lock in one `DEL` and publishes the wake-up only when it was there, so a release
/// nobody waits for publishes nothing.
pub fn mark_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"mark")
}

/// Where a lock's metadata lives: `<prefix>~meta{<tag>}<name>`, a hash in the lock key's slot
/// holding the metadata's fields and `~token`, the holder it was stored for, with the lock's
/// expiry.
pub fn metadata_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"meta")
}

/// Where guarded writes record the highest fence per data key under `key`'s lock:
/// `<prefix>~written{<tag>}<name>`, a hash in the lock key's slot. It has no expiry, on
/// purpose (G5: a stale holder's fence is refused after the lock was released): delete this
/// key to drop the records when the data they guard is retired. Eviction under an `allkeys-*`
/// policy can drop it as well, after which a lower fence is accepted again.
pub fn written_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"written")
}

/// The channel a release of `key`'s lock publishes on: `<prefix>~released{<tag>}<name>`, in the
/// lock key's slot (see [`fence_key`]); an ACL such as `&lock:*` covers it.
///
/// Channel names are always UTF-8 (some clients accept nothing else): a name or prefix that is
/// not UTF-8 is written as `~x` and its bytes in hex. As text cannot contain `~`, two locks
/// never share a channel.
pub fn release_channel(key: &LockKey) -> String {
    let tag = std::str::from_utf8(tag_for_slot(hash_slot(key.as_bytes()))).unwrap_or_default();
    let (prefix, name) = (key.prefix(), key.name());
    let mut out = String::with_capacity(prefix.len() + name.len() + tag.len() + 11);
    push_text(&mut out, prefix);
    out.push_str("~released{");
    out.push_str(tag);
    out.push('}');
    push_text(&mut out, name);
    out
}

/// Appends `bytes` as text: as they are when UTF-8, else `~x` and their hex (valid prefixes
/// and names contain no `~`, so the two forms never meet).
fn push_text(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => {
            out.push_str("~x");
            for b in bytes {
                out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                out.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
            }
        }
    }
}

/// A fair lock's line: `<prefix>~queue{<tag>}<name>`, a sorted set of waiting tokens by
/// arrival, in the lock key's slot.
pub fn queue_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"queue")
}

/// A fair lock's waiters: `<prefix>~waiters{<tag>}<name>`, a hash from each waiting token to
/// when its place lapses and the ttl a handoff grants it, in the lock key's slot.
pub fn waiters_key(key: &LockKey) -> Vec<u8> {
    auxiliary(key, b"waiters")
}

/// The channel a fair waiter holding `token` is woken on when the lock is handed to it:
/// [`release_channel`], `~`, and the SHA1 of the token in lowercase hex (the token itself
/// never appears in a channel name). Same slot as the lock.
pub fn turn_channel(key: &LockKey, token: &lock_core::LockToken) -> String {
    let digest = sha1_smol::Sha1::from(token.as_bytes()).digest().to_string();
    format!("{}~{digest}", release_channel(key))
}

fn auxiliary(key: &LockKey, kind: &[u8]) -> Vec<u8> {
    let tag = tag_for_slot(hash_slot(key.as_bytes()));
    let mut out =
        Vec::with_capacity(key.prefix().len() + kind.len() + tag.len() + 3 + key.name().len());
    out.extend_from_slice(key.prefix());
    out.push(b'~');
    out.extend_from_slice(kind);
    out.push(b'{');
    out.extend_from_slice(tag);
    out.push(b'}');
    out.extend_from_slice(key.name());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_slots() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(hash_slot(b"123456789"), 0x31C3 % SLOTS);
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"{foo}bar"), 12182);
        assert_eq!(hash_slot(b"foo{}{bar}"), CRC16.checksum(b"foo{}{bar}") % SLOTS);
        assert_eq!(hash_slot(b"foo{{bar}}zap"), CRC16.checksum(b"{bar") % SLOTS);
        assert_eq!(hash_slot(b"foo{bar}{zap}"), CRC16.checksum(b"bar") % SLOTS);
    }

    #[test]
    fn every_slot_has_a_tag() {
        for slot in 0..SLOTS {
            let tag = tag_for_slot(slot);
            assert!(!tag.is_empty() && tag.len() <= 4);
            assert!(!tag.contains(&b'{') && !tag.contains(&b'}'));
            assert_eq!(hash_slot(tag), slot);
        }
    }

    #[test]
    fn layouts_are_distinct_per_name() {
        let names: [&[u8]; 6] = [b"a", b"b", b"{a}", b"fence", b"a{", b"}"];
        let mut seen = std::collections::HashSet::new();
        for name in names {
            let key = LockKey::with_default_prefix(name).expect("valid");
            assert!(seen.insert(fence_key(&key)));
            assert!(seen.insert(release_channel(&key).into_bytes()));
            assert!(seen.insert(key.as_bytes().to_vec()));
        }
    }
}
