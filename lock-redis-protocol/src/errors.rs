//! What a Redis error code means for a lock.

use lock_core::BackendErrorKind;

/// The kind of a Redis error reply, by its code (the first word, e.g. `WRONGTYPE`), and whether
/// a retry may succeed.
///
/// ```
/// use lock_core::BackendErrorKind;
/// assert_eq!(lock_redis_protocol::classify("WRONGTYPE"), (BackendErrorKind::WrongType, false));
/// assert_eq!(lock_redis_protocol::classify("LOADING"), (BackendErrorKind::Unavailable, true));
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

/// What to do about an authentication or permission error, by its code: a missing password
/// (`NOAUTH`), a wrong one (`WRONGPASS`), or an ACL that refuses something locks need
/// (`NOPERM`). `None` for other codes.
///
/// ```
/// assert!(lock_redis_protocol::errors::auth_hint("NOAUTH").is_some_and(|h| h.contains("password")));
/// assert!(lock_redis_protocol::errors::auth_hint("NOPERM").is_some_and(|h| h.contains("ACL")));
/// assert_eq!(lock_redis_protocol::errors::auth_hint("WRONGTYPE"), None);
/// ```
pub fn auth_hint(code: &str) -> Option<&'static str> {
    match code {
        "NOAUTH" => Some(
            "the server needs a password: give it in the URL, \
             redis://[user]:password@host:port/, or the client's connection settings",
        ),
        "WRONGPASS" => Some("the user name or password is wrong, or the user is disabled"),
        "NOPERM" => Some(
            "the ACL refuses this user something locks need: ~<prefix>* keys, \
             &<prefix>* channels, and EVALSHA, SCRIPT LOAD, SUBSCRIBE",
        ),
        _ => None,
    }
}

/// The message that goes with [`BackendErrorKind::WrongType`].
pub const WRONG_TYPE_HINT: &str = "the lock key (or its fencing counter) holds a value of another type, written by something else than a lock client; \
     remove it (DEL) or use another prefix";
