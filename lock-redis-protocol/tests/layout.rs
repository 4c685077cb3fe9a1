//! The data layout is collision-free by construction: no lock key, under any valid prefix, is
//! another lock's fencing counter or wake-up channel, and no two locks share a counter or a
//! channel.

use std::collections::{HashMap, HashSet};

use lock_core::{KeyPrefix, LockKey};
use lock_redis_protocol::hash_slot;
use lock_redis_protocol::layout::{fence_key, release_channel};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Bytes drawn mostly from the characters the layout gives meaning to.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"~{}:lockfenrsd\xff\xc3\xa9x0";
        let len = self.below(max + 1);
        (0..len)
            .map(|_| match self.below(8) {
                0 => self.next() as u8,
                _ => ALPHABET[self.below(ALPHABET.len())],
            })
            .collect()
    }
}

/// Every way to read `bytes` as `<prefix><name>` that validation accepts.
fn lock_keys_spelling(bytes: &[u8]) -> Vec<LockKey> {
    (0..=bytes.len())
        .filter_map(|cut| {
            let prefix = KeyPrefix::new(&bytes[..cut]).ok()?;
            LockKey::new(&prefix, &bytes[cut..]).ok()
        })
        .collect()
}

/// Prefixes and names a user could pick, including ones built to collide: each auxiliary key
/// and channel of a few seed locks, cut at every point into a prefix and a name.
fn candidates() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let plain: [(&[u8], &[u8]); 6] = [
        (b"lock:", b"x"),
        (b"lock:", b"jobs:42"),
        (b"", b"x"),
        (b"lock", b"x"),
        (b"a~", b"x"),
        (b"lock:", b"a~b"),
    ];
    pairs.extend(plain.iter().map(|(p, n)| (p.to_vec(), n.to_vec())));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        pairs.push((rng.bytes(8), rng.bytes(12)));
    }
    let mut built = Vec::new();
    for (prefix, name) in &pairs {
        let Ok(key) = KeyPrefix::new(prefix).and_then(|p| LockKey::new(&p, name)) else {
            continue;
        };
        for aux in [fence_key(&key), release_channel(&key).into_bytes()] {
            for cut in 0..=aux.len() {
                built.push((aux[..cut].to_vec(), aux[cut..].to_vec()));
            }
        }
    }
    pairs.extend(built);
    pairs
}

#[test]
fn no_lock_key_is_an_auxiliary_key() {
    // The two collisions of issue 8, spelled out: the fence key of `lock:` + `x` read as a lock
    // key under the empty prefix, and under the prefix `lock`.
    let target = LockKey::with_default_prefix("x").expect("valid");
    let fence = fence_key(&target);
    assert!(fence.starts_with(b"lock:~fence{"));
    for (prefix, name) in [(&b""[..], &fence[..]), (&b"lock"[..], &fence[4..])] {
        let reused = KeyPrefix::new(prefix).and_then(|p| LockKey::new(&p, name));
        assert!(
            reused.is_err(),
            "prefix {:?} with name {:?} is a valid lock whose key is the fence key of `lock:x`",
            String::from_utf8_lossy(prefix),
            String::from_utf8_lossy(name),
        );
    }

    let mut checked = 0;
    for (prefix, name) in candidates() {
        let Ok(key) = KeyPrefix::new(&prefix).and_then(|p| LockKey::new(&p, &name)) else {
            continue;
        };
        checked += 1;
        for (what, aux) in
            [("fence key", fence_key(&key)), ("channel", release_channel(&key).into_bytes())]
        {
            if let Some(other) = lock_keys_spelling(&aux).first() {
                panic!(
                    "the {what} of {key:?} is the lock key of prefix {:?} + name {:?}",
                    String::from_utf8_lossy(other.prefix()),
                    String::from_utf8_lossy(other.name()),
                );
            }
        }
    }
    assert!(checked > 1000, "only {checked} valid locks were generated");
}

#[test]
fn no_two_locks_share_a_counter_or_a_channel() {
    let mut fences: HashMap<Vec<u8>, LockKey> = HashMap::new();
    let mut channels: HashMap<String, LockKey> = HashMap::new();
    let mut keys = HashSet::new();
    let mut pairs = candidates();
    // A name that is not UTF-8 and one spelling it in hex, in one slot (so their tags are
    // equal too): a channel must tell them apart.
    let hex = |bytes: &[u8]| -> String {
        let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("x{digits}")
    };
    let raw = (0u16..=u16::MAX)
        .map(|i| [0xff, (i >> 8) as u8, i as u8])
        .find(|raw| {
            hash_slot(&[b"lock:", &raw[..]].concat())
                == hash_slot(format!("lock:{}", hex(raw)).as_bytes())
        })
        .expect("two such names in one slot");
    pairs.push((b"lock:".to_vec(), raw.to_vec()));
    pairs.push((b"lock:".to_vec(), hex(&raw).into_bytes()));
    for (prefix, name) in pairs {
        let Ok(key) = KeyPrefix::new(&prefix).and_then(|p| LockKey::new(&p, &name)) else {
            continue;
        };
        if !keys.insert(key.clone()) {
            continue;
        }
        assert_eq!(hash_slot(&fence_key(&key)), hash_slot(key.as_bytes()), "{key:?}");
        assert_eq!(hash_slot(release_channel(&key).as_bytes()), hash_slot(key.as_bytes()));
        assert!(fence_key(&key).starts_with(key.prefix()), "{key:?}: outside its prefix");
        if let Some(other) = fences.insert(fence_key(&key), key.clone()) {
            panic!("{key:?} and {other:?} share a fencing counter");
        }
        if let Some(other) = channels.insert(release_channel(&key), key.clone()) {
            panic!("{key:?} and {other:?} share a wake-up channel");
        }
    }
}
