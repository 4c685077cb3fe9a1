//! Script replies, client-neutral, and their meaning.

use std::time::Duration;

use lock_core::{
    BackendError, BackendErrorKind, FencingToken, LockToken, RwMode, backend::AcquireOutcome,
    backend::ExtendOutcome, backend::LeaseHolder, backend::LeaseHolders, backend::LockInfo,
    backend::ReleaseOutcome, backend::WriteOutcome,
};

/// A RESP reply, as far as the scripts need it. Each backend converts its client's value type
/// into this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nil (also Lua `false`).
    Nil,
    /// An integer.
    Int(i64),
    /// A bulk or simple string.
    Data(Vec<u8>),
    /// An array.
    Array(Vec<Reply>),
}

fn unexpected(backend: &'static str, script: &str, reply: &Reply) -> BackendError {
    BackendError::new(
        backend,
        BackendErrorKind::Protocol,
        format!("unexpected reply to the {script} script: {reply:?}"),
    )
}

fn int(reply: &Reply) -> Option<i64> {
    match reply {
        Reply::Int(n) => Some(*n),
        Reply::Data(d) => std::str::from_utf8(d).ok()?.parse().ok(),
        _ => None,
    }
}

/// A `PTTL` answer: `None` for a key without expiry.
fn pttl(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

fn fencing(value: i64) -> Option<FencingToken> {
    u64::try_from(value).ok().filter(|v| *v > 0).map(FencingToken::new)
}

/// One integer: `n >= 0` acquired with fencing token `n` (0: none), `n < 0` held with a
/// `PTTL` of `-2 - n` (`-1`: no expiry).
pub fn acquire(backend: &'static str, reply: Reply) -> Result<AcquireOutcome, BackendError> {
    match int(&reply) {
        Some(n) if n >= 0 => Ok(AcquireOutcome::Acquired { fencing: fencing(n) }),
        Some(n) => Ok(AcquireOutcome::Held { ttl_remaining: pttl((-2i64).saturating_sub(n)) }),
        None => Err(unexpected(backend, "acquire", &reply)),
    }
}

/// One 1 (extended) or 0 (not held) per lock of a batch, `n` in all.
pub fn extend_many(
    backend: &'static str,
    reply: Reply,
    n: usize,
) -> Result<Vec<ExtendOutcome>, BackendError> {
    let bad = |reply: &Reply| unexpected(backend, "extend_many", reply);
    let Reply::Array(items) = &reply else { return Err(bad(&reply)) };
    if items.len() != n {
        return Err(bad(&reply));
    }
    items
        .iter()
        .map(|item| match int(item) {
            Some(1) => Ok(ExtendOutcome::Extended),
            Some(0) => Ok(ExtendOutcome::NotHeld),
            _ => Err(bad(&reply)),
        })
        .collect()
}

/// `OK` (the free key was taken: `true`) or nil (the key exists: `false`), the answers of
/// `SET key token NX PX ttl`.
pub fn set_if_absent(backend: &'static str, reply: Reply) -> Result<bool, BackendError> {
    match &reply {
        Reply::Data(d) if d.as_slice() == b"OK" => Ok(true),
        Reply::Nil => Ok(false),
        _ => Err(BackendError::new(
            backend,
            BackendErrorKind::Protocol,
            format!("unexpected reply to SET NX PX: {reply:?}"),
        )),
    }
}

/// -1 (not held), 0 (written), or the highest recorded fence as a string (stale).
pub fn guarded_write(backend: &'static str, reply: Reply) -> Result<WriteOutcome, BackendError> {
    match &reply {
        Reply::Int(0) => Ok(WriteOutcome::Written),
        Reply::Int(-1) => Ok(WriteOutcome::NotHeld),
        Reply::Data(d) => match std::str::from_utf8(d).ok().and_then(|t| t.parse::<u64>().ok()) {
            Some(highest) => Ok(WriteOutcome::Stale { highest: FencingToken::new(highest) }),
            None => Err(unexpected(backend, "guarded_write", &reply)),
        },
        _ => Err(unexpected(backend, "guarded_write", &reply)),
    }
}

/// Nil or `{holder, {field, value, ...}}`: the metadata, when its `~token` field is the
/// holder's, with that holder.
pub fn metadata_inspect(
    backend: &'static str,
    reply: Reply,
) -> Result<Option<(LockToken, lock_core::Metadata)>, BackendError> {
    let bad = |reply: &Reply| unexpected(backend, "metadata_inspect", reply);
    let Reply::Array(items) = &reply else {
        return if reply == Reply::Nil { Ok(None) } else { Err(bad(&reply)) };
    };
    let [Reply::Data(holder), Reply::Array(fields)] = items.as_slice() else {
        return Err(bad(&reply));
    };
    let text = |r: &Reply| match r {
        Reply::Data(d) => String::from_utf8(d.clone()).ok(),
        _ => None,
    };
    let mut owner = None;
    let mut pairs = Vec::new();
    for pair in fields.chunks(2) {
        let [name, value] = pair else { return Err(bad(&reply)) };
        let name = text(name).ok_or_else(|| bad(&reply))?;
        if name == "~token" {
            owner = Some(value.clone());
        } else {
            pairs.push((name, text(value).ok_or_else(|| bad(&reply))?));
        }
    }
    if owner != Some(Reply::Data(holder.clone())) {
        return Ok(None);
    }
    let metadata = lock_core::Metadata::from_fields(pairs).map_err(|e| {
        BackendError::new(backend, BackendErrorKind::Protocol, format!("stored metadata: {e}"))
    })?;
    Ok(Some((LockToken::from_stored(holder), metadata)))
}

/// `{1, fence, ...}` (all granted; 0: no fence) or `{0, index, pttl}` (held).
pub fn multi_acquire(
    backend: &'static str,
    reply: Reply,
) -> Result<lock_core::backend::MultiAcquireOutcome, BackendError> {
    let bad = |reply: &Reply| unexpected(backend, "multi_acquire", reply);
    let Reply::Array(items) = &reply else { return Err(bad(&reply)) };
    let numbers: Option<Vec<i64>> = items.iter().map(int).collect();
    match numbers.as_deref() {
        Some([1, fences @ ..]) => Ok(lock_core::backend::MultiAcquireOutcome::Acquired {
            fencing: fences.iter().map(|f| fencing(*f)).collect(),
        }),
        Some(&[0, index, ms]) => Ok(lock_core::backend::MultiAcquireOutcome::Held {
            index: usize::try_from(index).map_err(|_| bad(&reply))?,
            ttl_remaining: pttl(ms),
        }),
        _ => Err(bad(&reply)),
    }
}

/// A value or nil.
pub fn read_data(backend: &'static str, reply: Reply) -> Result<Option<Vec<u8>>, BackendError> {
    match reply {
        Reply::Nil => Ok(None),
        Reply::Data(d) => Ok(Some(d)),
        other => Err(unexpected(backend, "read_data", &other)),
    }
}

/// The lock's `PTTL` after a waiter's mark was left: `None` when no lock is there or it has no
/// expiry.
pub fn mark_waiting(backend: &'static str, reply: Reply) -> Result<Option<Duration>, BackendError> {
    match int(&reply) {
        Some(n) if n >= -2 => Ok(pttl(n)),
        _ => Err(unexpected(backend, "mark", &reply)),
    }
}

/// 1 or 0.
pub fn release(backend: &'static str, reply: Reply) -> Result<ReleaseOutcome, BackendError> {
    match int(&reply) {
        Some(1) => Ok(ReleaseOutcome::Released),
        Some(0) => Ok(ReleaseOutcome::NotHeld),
        _ => Err(unexpected(backend, "release", &reply)),
    }
}

/// 1 or 0.
pub fn extend(backend: &'static str, reply: Reply) -> Result<ExtendOutcome, BackendError> {
    match int(&reply) {
        Some(1) => Ok(ExtendOutcome::Extended),
        Some(0) => Ok(ExtendOutcome::NotHeld),
        _ => Err(unexpected(backend, "extend", &reply)),
    }
}

/// Nil or `{holder, pttl, fence}`.
pub fn inspect(backend: &'static str, reply: Reply) -> Result<Option<LockInfo>, BackendError> {
    match &reply {
        Reply::Nil => Ok(None),
        Reply::Array(items) if items.is_empty() => Ok(None),
        Reply::Array(items) => match items.as_slice() {
            [Reply::Data(holder), ttl, fence] => {
                let ttl = int(ttl).ok_or_else(|| unexpected(backend, "inspect", &reply))?;
                Ok(Some(LockInfo {
                    holder: LockToken::from_stored(holder),
                    ttl_remaining: pttl(ttl),
                    fencing: int(fence).and_then(fencing),
                }))
            }
            _ => Err(unexpected(backend, "inspect", &reply)),
        },
        _ => Err(unexpected(backend, "inspect", &reply)),
    }
}

/// A flat array of `token, pttl, fence or nil` per live permit.
pub fn permits(backend: &'static str, reply: Reply) -> Result<Vec<LockInfo>, BackendError> {
    let items = match &reply {
        Reply::Nil => return Ok(Vec::new()),
        Reply::Array(items) if items.len() % 3 == 0 => items,
        _ => return Err(unexpected(backend, "inspect_permits", &reply)),
    };
    items
        .chunks(3)
        .map(|permit| match permit {
            [Reply::Data(holder), ttl, fence] => {
                let ttl = int(ttl).ok_or_else(|| unexpected(backend, "inspect_permits", &reply))?;
                Ok(LockInfo {
                    holder: LockToken::from_stored(holder),
                    ttl_remaining: pttl(ttl),
                    fencing: int(fence).and_then(fencing),
                })
            }
            _ => Err(unexpected(backend, "inspect_permits", &reply)),
        })
        .collect()
}

/// `{mark, token, pttl, '<mode><fence>', ...}` of a reader-writer lock.
pub fn rw_holders(backend: &'static str, reply: Reply) -> Result<LeaseHolders, BackendError> {
    let bad = |reply: &Reply| unexpected(backend, "inspect_rw", reply);
    let Reply::Array(items) = &reply else { return Err(bad(&reply)) };
    let Some((mark, holds)) = items.split_first() else { return Err(bad(&reply)) };
    if holds.len() % 3 != 0 {
        return Err(bad(&reply));
    }
    let writer_waiting = int(mark).ok_or_else(|| bad(&reply))? == 1;
    let holders = holds
        .chunks(3)
        .map(|hold| match hold {
            [Reply::Data(holder), ttl, Reply::Data(tagged)] => {
                let ttl = int(ttl).ok_or_else(|| bad(&reply))?;
                let (mode, fence) = tagged.split_first().ok_or_else(|| bad(&reply))?;
                let mode = match mode {
                    b'r' => RwMode::Read,
                    b'u' => RwMode::UpgradeableRead,
                    b'w' => RwMode::Write,
                    _ => return Err(bad(&reply)),
                };
                let fence = std::str::from_utf8(fence).ok().and_then(|f| f.parse::<i64>().ok());
                let info = LockInfo {
                    holder: LockToken::from_stored(holder),
                    ttl_remaining: pttl(ttl),
                    fencing: fence.and_then(fencing),
                };
                Ok(LeaseHolder::rw(mode, info))
            }
            _ => Err(bad(&reply)),
        })
        .collect::<Result<_, _>>()?;
    Ok(LeaseHolders { holders, writer_waiting })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_shape() {
        let b = "test";
        assert_eq!(
            acquire(b, Reply::Int(7)).ok(),
            Some(AcquireOutcome::Acquired { fencing: Some(FencingToken::new(7)) })
        );
        assert_eq!(
            acquire(b, Reply::Int(0)).ok(),
            Some(AcquireOutcome::Acquired { fencing: None })
        );
        assert_eq!(
            acquire(b, Reply::Int(-1)).ok(),
            Some(AcquireOutcome::Held { ttl_remaining: None })
        );
        assert_eq!(
            acquire(b, Reply::Int(-252)).ok(),
            Some(AcquireOutcome::Held { ttl_remaining: Some(Duration::from_millis(250)) })
        );
        assert_eq!(
            acquire(b, Reply::Int(-2)).ok(),
            Some(AcquireOutcome::Held { ttl_remaining: Some(Duration::ZERO) })
        );
        assert!(acquire(b, Reply::Array(vec![Reply::Int(1), Reply::Int(7)])).is_err());
        assert!(acquire(b, Reply::Nil).is_err());
        assert_eq!(release(b, Reply::Int(1)).ok(), Some(ReleaseOutcome::Released));
        assert_eq!(extend(b, Reply::Int(0)).ok(), Some(ExtendOutcome::NotHeld));
        assert!(release(b, Reply::Nil).is_err());
        assert_eq!(inspect(b, Reply::Nil).ok(), Some(None));
        let held = Reply::Array(vec![
            Reply::Data(b"tok".to_vec()),
            Reply::Int(900),
            Reply::Data(b"12".to_vec()),
        ]);
        let info = inspect(b, held).ok().flatten().expect("held");
        assert_eq!(info.holder.as_bytes(), b"tok");
        assert_eq!(info.fencing, Some(FencingToken::new(12)));
        let foreign = Reply::Array(vec![Reply::Data(b"x".to_vec()), Reply::Int(-1), Reply::Nil]);
        let info = inspect(b, foreign).ok().flatten().expect("held");
        assert_eq!((info.ttl_remaining, info.fencing), (None, None));
    }
}
