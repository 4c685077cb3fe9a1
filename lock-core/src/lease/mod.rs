//! The lease engine's one adapter: what a request leases (a lock with metadata, a permit, a
//! reader-writer hold, a place in a fair line) is an argument, and the manager's one acquire
//! loop, guards, refresher and releases work on every kind through it.
//!
//! # Design notes
//!
//! - **Where the kind is decided.** A request names its kind once ([`LeaseKind`]); the
//!   [`LeaseView`] built from it is the only code that knows which backend trait answers that
//!   kind, whether the backend offers it (`Unsupported` before any I/O), how its holders are
//!   read, what a watch waits for (a fair waiter's own turn) and whether guarded writes apply.
//!   The acquire loop, guards, refresher, releases and upgrade see one `LockBackend` shape.
//!   Before, four views (permits, reader-writer holds, metadata, fair) repeated that shape, and
//!   one of them dropped a method (a fair guard could not write guarded data).
//! - **Not yet: the kind in the backend contract.** The backend traits still have one optional
//!   trait per kind, each with the same acquire / release / extend / inspect / watch shape. The
//!   next step moves the kind into the contract (one acquire taking a `LeaseKind`-like argument,
//!   `Unsupported` for what a backend does not offer), which removes those traits, their
//!   accessors and their forwarding entries; this view then maps nothing.
//! - **Adding a kind, today**: a variant here and its arms in `view.rs`; its user handle
//!   (`semaphore/handle.rs` is the model); its optional backend trait, accessor and forwarding
//!   entry (`backend/`, three files); MemoryBackend's implementation (`memory/`, two files);
//!   lock-lua's script, its Rust side and the key layout (four files); its conformance cases,
//!   the suite's list and the broken-backend mutant (lock-testkit, three files): about 16 files
//!   in 3 crates, counted on the semaphore. Fair locks took 27 files in 4 crates. The contract
//!   step above takes the three `backend/` files off the list.

mod view;

use std::time::Duration;

/// How long a fair waiter's place in the store's queue lives after its last attempt. A waiter
/// renews it at least every third of this while it waits; a waiter that died is dropped from
/// the line after it, and a lock handed to it lapses after it at the latest.
pub const FAIR_QUEUE_TTL: Duration = Duration::from_secs(3);

pub(crate) use view::{LeaseKind, LeaseView};
