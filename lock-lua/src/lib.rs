//! The Redis side of the lock protocol, written once for every Redis-protocol backend:
//! the Lua scripts, where each lock's keys live, what the replies mean, and release
//! notification over pub/sub, and [`ScriptBackend`], the whole `LockBackend` built from them.
//! `lock-redis` and `lock-fred` are thin layers over this; a backend over another Redis client
//! needs only a [`ScriptRunner`] (run a [`Call`], convert the reply to a [`Reply`]) and, for
//! release notification, a [`SubscriberFactory`].
//!
//! ```
//! use std::time::Duration;
//! use lock_core::{AcquireOutcome, LockKey, LockToken};
//! use lock_lua::{Reply, calls, reply};
//!
//! let key = LockKey::with_default_prefix("jobs:42")?;
//! let token = LockToken::generate()?;
//! let call = calls::acquire(&key, &token, Duration::from_secs(10), true);
//! assert_eq!(call.script.name(), "acquire");
//! assert_eq!(call.keys[0].as_ref(), b"lock:jobs:42");
//! // ... send `EVALSHA <call.script.sha1()> 2 <keys> <args>`, then:
//! let outcome = reply::acquire("my-client", Reply::Int(5))?;
//! assert!(matches!(outcome, AcquireOutcome::Acquired { fencing: Some(_) }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Data layout
//!
//! - `<prefix><name>`: the holder's token as a plain string with a `PX` ttl (what the Go
//!   original, redsync and python-redis-lock store), so those clients and ours exclude each other.
//! - `<prefix>~fence{<tag>}<name>`: the fencing counter, `INCR`ed by every grant; kept (it must
//!   never go back), one small key per lock name.
//! - `<prefix>~released{<tag>}<name>`: the channel a release publishes on.
//!
//! `<tag>` hashes to the lock key's cluster slot, so each script touches one slot whatever the
//! name. Times come from the server (`PX`, `PTTL`), never from clients.
#![doc(test(attr(deny(warnings))))]

mod backend;
pub mod calls;
mod errors;
mod layout;
pub mod reply;
mod scripts;
mod watch;

pub use backend::{ScriptBackend, ScriptRunner, WaitFor};
pub use calls::{Arg, Call, Publish};
pub use errors::{WRONG_TYPE_HINT, classify};
pub use layout::{SLOTS, fence_key, hash_slot, release_channel};
#[doc(hidden)]
pub use lock_core as __lock_core;
pub use reply::Reply;
pub use scripts::{ACQUIRE, ALL, EXTEND, INSPECT, LuaScript, RELEASE};
pub use watch::{ReleaseHub, SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
