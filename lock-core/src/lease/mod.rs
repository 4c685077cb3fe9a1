//! The lease engine's kinds: what a request leases (a lock with metadata, a permit, a
//! reader-writer hold, a place in a fair line) is an argument, and the manager's one acquire
//! loop, guards, refresher and releases work on every kind through one adapter (`view.rs`).
//! The kinds' user handles are small parts of it: `semaphore.rs` and `rwlock/` (with the
//! upgrade).
//!
//! # Design notes
//!
//! - **Where the kind is decided.** A request names its kind once ([`LeaseSpec`]); the
//!   [`LeaseView`] built from it fixes the kind for the backend's lease calls
//!   ([`crate::LockBackend::acquire_lease`] and the rest, the kind an argument), checks the
//!   backend's [`crate::backend::Capabilities`] (`Unsupported` before any I/O), reads holders, says what
//!   a watch waits for (a fair waiter's own turn) and whether guarded writes apply. The acquire
//!   loop, guards, refresher, releases and upgrade see one `LockBackend` shape.
//! - **The kind in the backend contract.** There is no backend trait per kind any more: the
//!   lease calls take a [`crate::backend::Lease`] or [`crate::backend::LeaseKind`], a backend says what it offers
//!   in its capabilities, and the defaults answer `Unsupported` (see `backend/lease.rs` for why
//!   lock sets, batched extends and guarded writes keep traits of their own). Before, four
//!   optional traits (semaphores, reader-writer locks, fair locks, metadata) with the same
//!   acquire / release / extend / inspect / watch shape had four accessors, four forwarding
//!   entries and four adapter views.
//! - **Adding a kind**: a [`crate::backend::Lease`] variant with its bullets and its
//!   [`crate::backend::LeaseKind`] and capability flag (`backend/`, two files); its spec here and
//!   its arms in `view.rs`; its user handle (`lease/semaphore.rs` is the model); MemoryBackend's
//!   `State` methods and its arms in `memory/backend.rs`'s lease calls (two files);
//!   lock-redis-protocol's script, its call builders (`calls.rs`), its arms in `lease.rs` (the one
//!   path every kind's script calls take) and the key layout (four files); its conformance cases,
//!   the suite's list and the broken-backend mutant (lock-testkit, three files): about 14 files in
//!   3 crates, counted on paper against this layout (the semaphore took 16 before; fair locks took
//!   27 files in 4 crates).

mod rwlock;
mod semaphore;
mod view;

use std::time::Duration;

/// How long a fair waiter's place in the store's queue lives after its last attempt. A waiter
/// renews it at least every third of this while it waits; a waiter that died is dropped from
/// the line after it, and a lock handed to it lapses after it at the latest.
pub const FAIR_QUEUE_TTL: Duration = Duration::from_secs(3);

pub use rwlock::{RwLock, Upgrade, UpgradeError};
pub use semaphore::Semaphore;
pub(crate) use view::{LeaseSpec, LeaseView};
