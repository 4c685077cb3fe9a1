//! What a backend can do beyond the required primitives: the one answer, read by the manager
//! (an `Unsupported` error before any I/O), the docs and the conformance suite (a case that
//! needs what a backend lacks is skipped, visibly).

use super::LeaseKind;

/// The optional features a backend offers. A plain `Copy` value: build it with
/// [`Capabilities::none`] and the `with_*` setters (the struct is `#[non_exhaustive]`, so new
/// capabilities can be added without breaking backends).
///
/// ```
/// use lock_core::{backend::Capabilities, backend::LeaseKind};
/// const CAPS: Capabilities =
///     Capabilities::none().with_fencing(true).with_leases(&[LeaseKind::Permit]);
/// assert!(CAPS.fencing);
/// assert!(!CAPS.release_notify);
/// assert!(CAPS.offers(LeaseKind::Permit) && CAPS.offers(LeaseKind::Lock));
/// assert!(!CAPS.offers(LeaseKind::Rw));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// [`crate::LockBackend::try_acquire`] returns `Acquired { fencing: Some(_) }`, strictly
    /// increasing per key across releases, expiries and takeovers.
    pub fencing: bool,
    /// [`crate::LockBackend::watch_release`] is implemented.
    pub release_notify: bool,
    /// The lease calls take [`crate::backend::Lease::Metadata`], and
    /// [`crate::LockBackend::inspect_metadata`] is implemented.
    pub metadata: bool,
    /// The lease calls take [`crate::backend::Lease::Permit`] (counting semaphores).
    pub permits: bool,
    /// The lease calls take [`crate::backend::Lease::Rw`] (reader-writer locks).
    pub rw_locks: bool,
    /// The lease calls take [`crate::backend::Lease::Fair`] (fair locks).
    pub fair_locks: bool,
    /// [`crate::LockBackend::try_acquire_all`] takes atomic lock sets (the sets
    /// [`crate::LockBackend::can_acquire_together`] accepts); without it
    /// [`crate::LockManager::lock_all`] takes sets member by member.
    pub lock_sets: bool,
    /// [`crate::LockBackend::extend_batch`] extends many locks in one call; without it the
    /// refresher extends each lock on its own.
    pub batch_extend: bool,
    /// [`crate::LockBackend::guarded_writes`] returns the backend's guarded writes (a trait of
    /// their own: they write data, not leases); without it [`crate::LockHandle::write`] is
    /// `Unsupported`.
    pub guarded_writes: bool,
}

impl Capabilities {
    /// No optional capability.
    pub const fn none() -> Self {
        Self {
            fencing: false,
            release_notify: false,
            metadata: false,
            permits: false,
            rw_locks: false,
            fair_locks: false,
            lock_sets: false,
            batch_extend: false,
            guarded_writes: false,
        }
    }

    /// Every optional capability: what MemoryBackend and the Redis backends offer.
    pub const fn all() -> Self {
        Self::none()
            .with_fencing(true)
            .with_release_notify(true)
            .with_leases(&LeaseKind::ALL)
            .with_lock_sets(true)
            .with_batch_extend(true)
            .with_guarded_writes(true)
    }

    /// Whether the lease calls take `kind` (a plain lock always).
    pub const fn offers(self, kind: LeaseKind) -> bool {
        match kind {
            LeaseKind::Lock => true,
            LeaseKind::Metadata => self.metadata,
            LeaseKind::Permit => self.permits,
            LeaseKind::Rw => self.rw_locks,
            LeaseKind::Fair => self.fair_locks,
        }
    }

    /// Sets whether the lease calls take `kind` (a plain lock is always offered: setting it
    /// changes nothing).
    pub const fn with_lease(mut self, kind: LeaseKind, on: bool) -> Self {
        match kind {
            LeaseKind::Lock => {}
            LeaseKind::Metadata => self.metadata = on,
            LeaseKind::Permit => self.permits = on,
            LeaseKind::Rw => self.rw_locks = on,
            LeaseKind::Fair => self.fair_locks = on,
        }
        self
    }

    /// Sets every lease kind in `kinds`.
    pub const fn with_leases(mut self, kinds: &[LeaseKind]) -> Self {
        let mut i = 0;
        while i < kinds.len() {
            self = self.with_lease(kinds[i], true);
            i += 1;
        }
        self
    }

    /// Sets [`Capabilities::fencing`].
    pub const fn with_fencing(mut self, on: bool) -> Self {
        self.fencing = on;
        self
    }

    /// Sets [`Capabilities::release_notify`].
    pub const fn with_release_notify(mut self, on: bool) -> Self {
        self.release_notify = on;
        self
    }

    /// Sets [`Capabilities::lock_sets`].
    pub const fn with_lock_sets(mut self, on: bool) -> Self {
        self.lock_sets = on;
        self
    }

    /// Sets [`Capabilities::batch_extend`].
    pub const fn with_batch_extend(mut self, on: bool) -> Self {
        self.batch_extend = on;
        self
    }

    /// Sets [`Capabilities::guarded_writes`].
    pub const fn with_guarded_writes(mut self, on: bool) -> Self {
        self.guarded_writes = on;
        self
    }
}

/// A backend's name and capabilities, as [`crate::LockBackend::info`] reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BackendInfo {
    /// A short name for logs and errors, e.g. `"redis"`.
    pub name: &'static str,
    /// What it offers beyond the required primitives.
    pub capabilities: Capabilities,
}

impl BackendInfo {
    /// A name and capabilities.
    pub const fn new(name: &'static str, capabilities: Capabilities) -> Self {
        Self { name, capabilities }
    }
}
