//! What a Redis error code means for a lock.

use lock_core::BackendErrorKind;

/// The kind of a Redis error reply, by its code (the first word, e.g. `WRONGTYPE`), and whether
/// a retry may succeed.
///
/// ```
/// use lock_core::BackendErrorKind;
/// assert_eq!(lock_lua::classify("WRONGTYPE"), (BackendErrorKind::WrongType, false));
/// assert_eq!(lock_lua::classify("LOADING"), (BackendErrorKind::Unavailable, true));
/// ```
pub fn classify(code: &str) -> (BackendErrorKind, bool) {
    match code {
        "WRONGTYPE" => (BackendErrorKind::WrongType, false),
        "NOPERM" | "NOAUTH" | "WRONGPASS" => (BackendErrorKind::Auth, false),
        "LOADING" | "BUSY" | "TRYAGAIN" | "CLUSTERDOWN" | "MASTERDOWN" | "READONLY" | "MOVED"
        | "ASK" | "NOSCRIPT" | "OOM" | "NOREPLICAS" | "UNBLOCKED" => {
            (BackendErrorKind::Unavailable, true)
        }
        "CROSSSLOT" => (BackendErrorKind::InvalidKey, false),
        _ => (BackendErrorKind::Other, false),
    }
}

/// The message that goes with [`BackendErrorKind::WrongType`].
pub const WRONG_TYPE_HINT: &str = "the lock key (or its fencing counter) holds a value of another type, written by something else than a lock client; \
     remove it (DEL) or use another prefix";
