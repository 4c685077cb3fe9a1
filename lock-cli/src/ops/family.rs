//! Semaphores and reader-writer locks as the operator commands see them: a name whose key is a
//! sorted set is one of the two (a reader-writer lock also has its `~holds` hash), and shows one
//! row per holder.

use lock_redis::redis::{self, Value};
use lock_redis::{
    BackendError, LockBackend, LockKey, RwMode, lock_core::backend::LeaseKind,
    lock_core::backend::LockInfo,
};

use crate::endpoint::Connection;

/// What a name that is not a plain lock holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Semaphore,
    RwLock,
}

impl Kind {
    /// `semaphore` or `rw-lock`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Semaphore => "semaphore",
            Self::RwLock => "rw-lock",
        }
    }
}

/// One holder: how it holds the name (`permit`, `read`, `upgradeable`, `write`) and the rest.
#[derive(Clone, Debug)]
pub(crate) struct Holder {
    pub(crate) mode: &'static str,
    pub(crate) info: LockInfo,
}

/// Whether `key` holds a semaphore or a reader-writer lock; `None` for anything else.
pub(crate) async fn kind(conn: &Connection, key: &LockKey) -> Option<Kind> {
    let reply = conn.backend.query(redis::cmd("TYPE").arg(key.as_bytes())).await.ok()?;
    let zset = match reply {
        Value::SimpleString(kind) => kind == "zset",
        Value::BulkString(kind) => kind == b"zset",
        _ => false,
    };
    if !zset {
        return None;
    }
    let holds = lock_redis_protocol::layout::holds_key(key);
    match conn.backend.query(redis::cmd("EXISTS").arg(&holds)).await.ok()? {
        Value::Int(1) => Some(Kind::RwLock),
        _ => Some(Kind::Semaphore),
    }
}

/// The holders of the semaphore or reader-writer lock at `key`.
pub(crate) async fn holders(
    conn: &Connection,
    key: &LockKey,
    kind: Kind,
) -> Result<Vec<Holder>, BackendError> {
    match kind {
        Kind::Semaphore => {
            let held = conn.backend.inspect_lease(key, LeaseKind::Permit).await?.into_infos();
            Ok(held.into_iter().map(|info| Holder { mode: "permit", info }).collect())
        }
        Kind::RwLock => {
            let held = conn.backend.inspect_lease(key, LeaseKind::Rw).await?.holders;
            Ok(held.into_iter().map(|h| Holder { mode: mode(h.mode), info: h.info }).collect())
        }
    }
}

/// A reader-writer mode as a word.
fn mode(mode: Option<RwMode>) -> &'static str {
    match mode {
        Some(RwMode::Read) => "read",
        Some(RwMode::UpgradeableRead) => "upgradeable",
        _ => "write",
    }
}
