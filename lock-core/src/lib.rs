//! Distributed locks over any store, built around one small trait.
//!
//! [`LockManager`] takes locks and hands back [`LockGuard`]s; a [`LockBackend`] is the store
//! they live in. This crate has the whole logic (retry and waiting, validity deadlines,
//! auto-refresh, loss signalling, fencing tokens, a Redlock [`Quorum`]) and an in-process
//! [`MemoryBackend`]; `lock-redis` and `lock-fred` put locks in Redis.
//!
//! ```
//! use std::time::Duration;
//! use lock_core::{LockManager, MemoryBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), lock_core::Error> {
//! let locks = LockManager::new(MemoryBackend::new());
//!
//! // Try once; `None` means someone else holds it (contention is not an error).
//! let guard = locks.try_lock("orders:42", Duration::from_secs(10)).await?.expect("free");
//! println!("fencing token {:?}", guard.fencing_token());
//! assert!(locks.try_lock("orders:42", Duration::from_secs(10)).await?.is_none());
//! guard.release().await?;
//!
//! // Or run work under the lock, kept alive by auto-refresh, and get its value back.
//! let n = locks
//!     .lock("orders:42")
//!     .auto_refresh()
//!     .run(|_lock| async { Ok::<_, lock_core::Error>(7) })
//!     .await?;
//! assert_eq!(n, 7);
//! # Ok(())
//! # }
//! ```
//!
//! # The promises
//!
//! 1. Mutual exclusion: while a guard [`is_valid`](LockHandle::is_valid), no other guard for
//!    the key is, under the timing model (the holder is not paused past its validity, clocks
//!    run at about the same rate, the store does not lose the lock).
//! 2. Fencing: with a backend that advertises it, each acquisition gets a
//!    [`FencingToken`] greater than every earlier one for that key.
//! 3. Nothing lost silently: [`LockHandle::lost`] resolves when the guard's validity deadline
//!    passes without an extension, or at the next auto-refresh after the store stopped holding
//!    the lock, and [`LockRequest::run`] then stops the work.
//! 4. No leaks: a dropped guard (or a dropped `release()` future) is released in the
//!    background, a cancelled acquire releases what it may have won, after the acquire, and
//!    anything else expires at its ttl.
//! 5. Contention is a result: `Ok(None)` from a try, a wait from `acquire`.
//! 6. Bounded: every backend call is cut off after the manager's call timeout
//!    ([`LockManagerBuilder::call_timeout`]), and every wait of an acquire ends at its deadline.
//! 7. A token is a credential: no read API returns one ([`LockManager::info`] shows a
//!    [`HolderId`]); hand-over is explicit ([`LockGuard::leak`] → [`Handover`] →
//!    [`LockManager::adopt`]).
#![doc(test(attr(deny(warnings))))]

pub mod backend;
mod call_timeout;
mod entropy;
mod error;
mod fencing;
mod guard;
mod holder;
mod key;
mod lease;
mod manager;
mod memory;
mod metadata;
mod multi;
mod quorum;
mod refresh;
mod retry;
mod telemetry;
mod timing;
mod token;

pub use backend::{DynLockBackend, LockBackend, RwMode};
pub use error::{BackendError, BackendErrorKind, BoxError, Error, LossReason, Result};
pub use fencing::FencingToken;
pub use guard::{Handover, LockGuard, LockHandle, Lost};
pub use holder::{HolderId, LockState};
pub use key::{KeyPrefix, LockKey};
pub use lease::{RwLock, Semaphore, Upgrade, UpgradeError};
pub use manager::{LockManager, LockManagerBuilder, LockRequest};
pub use memory::MemoryBackend;
pub use metadata::Metadata;
pub use multi::{MultiGuard, MultiLockRequest};
pub use quorum::{Quorum, QuorumBuilder};
pub use retry::RetryPolicy;
pub use timing::Drift;
pub use token::LockToken;

/// The bounds every input is checked against (names, prefixes, ttls, tokens, metadata, retry
/// delays) and the defaults the manager starts from. A value outside a bound is refused with
/// [`Error::InvalidArgument`] before any I/O.
pub mod limits {
    pub use crate::call_timeout::DEFAULT_CALL_TIMEOUT;
    pub use crate::key::{DEFAULT_PREFIX, MAX_NAME_LEN, MAX_PREFIX_LEN, RESERVED_NAME_START};
    pub use crate::lease::FAIR_QUEUE_TTL;
    pub use crate::metadata::{MAX_METADATA_FIELDS, MAX_METADATA_NAME_LEN, MAX_METADATA_VALUE_LEN};
    pub use crate::quorum::DEFAULT_NODE_TIMEOUT;
    pub use crate::retry::{DEFAULT_MAX_WAIT, MAX_RETRY_DELAY, MIN_RETRY_DELAY};
    pub use crate::timing::{MAX_TTL, MIN_DRIFT_ALLOWANCE, MIN_TTL};
    pub use crate::token::{MAX_USER_TOKEN_LEN, MIN_USER_TOKEN_LEN, TOKEN_RANDOM_BYTES};
}

/// The names a program that takes locks uses, for one glob import; the backend crates
/// (`lock-redis`, `lock-fred`) re-export it at their root, with [`Error`], [`Result`] and
/// [`limits`]. `Error` and `Result` are left out so that a glob import does not shadow the
/// standard library's.
///
/// ```
/// use lock_core::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> lock_core::Result<()> {
/// let locks = LockManager::new(MemoryBackend::new());
/// let guard: LockGuard = locks.lock("jobs:7").retry(RetryPolicy::none()).acquire().await?;
/// guard.release().await?;
/// # Ok(())
/// # }
/// ```
pub mod prelude {
    pub use crate::{
        BackendError, BackendErrorKind, Drift, DynLockBackend, FencingToken, Handover, HolderId,
        KeyPrefix, LockBackend, LockGuard, LockHandle, LockKey, LockManager, LockManagerBuilder,
        LockRequest, LockState, LockToken, LossReason, Lost, MemoryBackend, Metadata, MultiGuard,
        MultiLockRequest, Quorum, QuorumBuilder, RetryPolicy, RwLock, RwMode, Semaphore, Upgrade,
        UpgradeError,
    };
}
