//! The Redis side of the lock protocol, written once for every Redis-protocol backend:
//! the Lua scripts, where each lock's keys live, what the replies mean, and release
//! notification over pub/sub, and [`ScriptBackend`], the whole `LockBackend` built from them.
//! `lock-redis` and `lock-fred` are thin layers over this; a backend over another Redis client
//! needs only a [`ScriptRunner`] (run a [`Call`], convert the reply to a [`Reply`]) and, for
//! release notification, a [`SubscriberFactory`].
//!
//! ```
//! use std::time::Duration;
//! use lock_core::{backend::AcquireOutcome, LockKey, LockToken};
//! use lock_redis_protocol::{Reply, calls, reply};
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
//! - `<prefix>~fence{<tag>}<name>`: the fencing counter, `<fence>:<token>`: the last fence
//!   issued for the lock and the token it went to (so a lock another client took is shown with
//!   no fence, and the holder acquiring again gets its own number back). Each new grant writes
//!   a fence above the recorded one and at least the server's `TIME` in microseconds, so fences
//!   keep rising when the counter is lost (a restart without persistence, eviction, a failover
//!   to a replica that missed the last grant, its expiry). It expires [`FENCE_COUNTER_GRACE`]
//!   after the lock's ttl (set at every grant), so an unused lock name leaves nothing behind. A
//!   counter in the old format (a bare number, from versions before 0.2) is read as the last
//!   fence and replaced at the next grant.
//! - `<prefix>~released{<tag>}<name>`: the pub/sub channel a release publishes on (`PUBLISH`,
//!   or `SPUBLISH` on a cluster) when notification is on. Channel names are UTF-8: a prefix or
//!   name that is not is written as `~x` and its bytes in hex.
//!
//! - `<prefix>~meta{<tag>}<name>`: the metadata a holder stored with the lock, a hash of its
//!   fields and `~token` (whose metadata it is), written by the acquire script in the same step
//!   as the grant, with the lock's ttl, extended and deleted with the lock.
//! - `<prefix>~data{<tag>}<name>~<data name>`: a data key named by `data_key`, for guarded
//!   writes (a plain string, no expiry); and `<prefix>~written{<tag>}<name>`, a hash from data
//!   key to the highest fence a fenced write to it carried under this lock (no expiry: it must
//!   outlive the lock to refuse a stale holder).
//! - `<prefix>~queue{<tag>}<name>` and `<prefix>~waiters{<tag>}<name>`: a fair lock's line, a
//!   sorted set of waiting tokens by arrival (µs, each after the last) and a hash from each to
//!   when its place lapses and the ttl a handoff grants it; both outlive the latest place (at
//!   most twice the longest place ttl after the last attempt) and go with the last place.
//!   A waiter is woken for its turn on `<prefix>~released{<tag>}<name>~<sha1 of its token>`.
//!
//! `<tag>` is a short alphanumeric string that hashes to the lock key's cluster slot, so each
//! script touches one slot whatever the name. Neither prefixes nor names may contain `~`
//! (lock-core refuses them) and every counter and channel does, so no lock key, under any
//! prefix, is a counter or a channel, and no two locks share a counter or a channel. All of them
//! match `<prefix>*`, so ACL rules `~<prefix>*` and `&<prefix>*` cover them (the channels of a
//! prefix that is not UTF-8 excepted). Times come from the server (`PX`, `PTTL`), never from
//! clients.
//!
//! # Server checks
//!
//! Backends that connect read `INFO` once: [`server_endpoint`] names the server by its `run_id`,
//! and [`eviction::maxmemory_policy`] with [`eviction::check_eviction`] warns about (or, with
//! [`EvictionCheck::Refuse`] in [`ConnectOptions`], refuses) a `maxmemory-policy` that lets
//! Redis evict held locks: anything but `noeviction`.
#![doc(test(attr(deny(warnings))))]

mod backend;
mod batch;
pub mod calls;
pub mod errors;
pub mod eviction;
mod guarded;
mod identity;
pub mod keyspace;
pub mod layout;
mod lease;
mod multi;
pub mod reply;
pub mod scripts;
mod settings;
mod watch;

pub use backend::{ScriptBackend, ScriptRunner, WaitFor, check_wait_timeout};
pub use calls::{Arg, Call, Command, FENCE_COUNTER_GRACE, Publish};
pub use errors::classify;
pub use eviction::{ConnectOptions, EvictionCheck};
pub use identity::server_endpoint;
pub use keyspace::KeyspaceEvents;
pub use layout::hash_slot;
#[doc(hidden)]
pub use lock_core as __lock_core;
pub use reply::Reply;
pub use scripts::LuaScript;
pub use watch::{ReleaseHub, SubscriberEvent, SubscriberEvents, SubscriberFactory, SubscriberLink};
