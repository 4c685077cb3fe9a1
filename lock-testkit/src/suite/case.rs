//! One conformance case: a name, what it needs, and the check itself.

use futures_util::future::BoxFuture;
use lock_core::{Capabilities, DynLockBackend, LeaseKind};

use crate::context::TestContext;
use crate::failure::CaseResult;

/// The check a case runs.
pub type CaseFn = fn(TestContext) -> BoxFuture<'static, CaseResult>;

/// A conformance case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Its name, as the generated `#[test]` is called.
    pub name: &'static str,
    /// The capabilities it needs; without them it is skipped.
    pub requires: Requires,
    /// The check.
    pub run: CaseFn,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).field("requires", &self.requires).finish()
    }
}

/// What a case needs: capabilities (read from [`Capabilities`], the backend's one answer for
/// fencing, release notification and the lease kinds it offers) and the optional traits that
/// are not leases (guarded writes, lock sets, batched extends, offered through their
/// accessors).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requires {
    caps: Capabilities,
    guarded_writes: bool,
    multi_locks: bool,
    batch_extend: bool,
}

impl Requires {
    /// Nothing optional.
    pub const NONE: Self = Self {
        caps: Capabilities::none(),
        guarded_writes: false,
        multi_locks: false,
        batch_extend: false,
    };
    /// [`Capabilities::fencing`].
    pub const FENCING: Self = Self::caps(Capabilities::none().with_fencing(true));
    /// [`Capabilities::release_notify`].
    pub const RELEASE_NOTIFY: Self = Self::caps(Capabilities::none().with_release_notify(true));
    /// Counting semaphores ([`Capabilities::permits`]).
    pub const SEMAPHORES: Self = Self::lease(LeaseKind::Permit);
    /// Reader-writer locks ([`Capabilities::rw_locks`]).
    pub const RW_LOCKS: Self = Self::lease(LeaseKind::Rw);
    /// Lock metadata ([`Capabilities::metadata`]).
    pub const METADATA: Self = Self::lease(LeaseKind::Metadata);
    /// Fair locks ([`Capabilities::fair_locks`]).
    pub const FAIR_LOCKS: Self = Self::lease(LeaseKind::Fair);
    /// Guarded writes ([`lock_core::LockBackend::guarded_writes`] is `Some`).
    pub const GUARDED_WRITES: Self = Self { guarded_writes: true, ..Self::NONE };
    /// Atomic lock sets ([`lock_core::LockBackend::multi_locks`] is `Some`).
    pub const MULTI_LOCKS: Self = Self { multi_locks: true, ..Self::NONE };
    /// Batched extends ([`lock_core::LockBackend::batch_extend`] is `Some`).
    pub const BATCH_EXTEND: Self = Self { batch_extend: true, ..Self::NONE };

    const fn caps(caps: Capabilities) -> Self {
        Self { caps, ..Self::NONE }
    }

    const fn lease(kind: LeaseKind) -> Self {
        Self::caps(Capabilities::none().with_lease(kind, true))
    }

    /// Both sets of needs.
    pub const fn and(self, other: Self) -> Self {
        let (a, b) = (self.caps, other.caps);
        let mut caps = Capabilities::none()
            .with_fencing(a.fencing || b.fencing)
            .with_release_notify(a.release_notify || b.release_notify);
        let mut i = 0;
        while i < LeaseKind::ALL.len() {
            let kind = LeaseKind::ALL[i];
            caps = caps.with_lease(kind, a.offers(kind) || b.offers(kind));
            i += 1;
        }
        Self {
            caps,
            guarded_writes: self.guarded_writes || other.guarded_writes,
            multi_locks: self.multi_locks || other.multi_locks,
            batch_extend: self.batch_extend || other.batch_extend,
        }
    }

    /// Why `backend` cannot run the case, or `None` when it can.
    pub fn missing_in(self, backend: &DynLockBackend) -> Option<String> {
        if self.guarded_writes && backend.guarded_writes().is_none() {
            return Some(
                "requires guarded writes (LockBackend::guarded_writes returns None)".into(),
            );
        }
        if self.multi_locks && backend.multi_locks().is_none() {
            return Some(
                "requires atomic lock sets (LockBackend::multi_locks returns None)".into(),
            );
        }
        if self.batch_extend && backend.batch_extend().is_none() {
            return Some(
                "requires batched extends (LockBackend::batch_extend returns None)".into(),
            );
        }
        self.missing(backend.info().capabilities)
    }

    /// Why a backend with `caps` cannot run the case, or `None` when it can (the optional
    /// traits are not capabilities: see [`Requires::missing_in`]).
    pub fn missing(self, caps: Capabilities) -> Option<String> {
        if self.caps.fencing && !caps.fencing {
            return Some("requires the fencing capability".into());
        }
        if self.caps.release_notify && !caps.release_notify {
            return Some("requires the release_notify capability".into());
        }
        LeaseKind::ALL
            .into_iter()
            .find(|k| self.caps.offers(*k) && !caps.offers(*k))
            .map(|k| format!("requires {} (Capabilities::offers({k:?}) is false)", k.operation()))
    }
}

macro_rules! registry {
    (() $($module:ident :: $case:ident [$($req:ident)*],)*) => {
        /// Every conformance case, in order.
        pub static CASES: &[Case] = &[
            $(Case {
                name: stringify!($case),
                requires: Requires::NONE $(.and(Requires::$req))*,
                run: |cx| Box::pin(crate::cases::$module::$case(cx)),
            },)*
        ];
    };
}

crate::__for_each_case!(registry!());
