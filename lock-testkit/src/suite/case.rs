//! One conformance case: a name, what it needs, and the check itself.

use futures_util::future::BoxFuture;
use lock_core::{Capabilities, DynLockBackend};

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

/// Capabilities a case needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requires {
    fencing: bool,
    release_notify: bool,
    semaphores: bool,
    rw_locks: bool,
    guarded_writes: bool,
    metadata: bool,
    multi_locks: bool,
    batch_extend: bool,
    fair_locks: bool,
}

impl Requires {
    /// Nothing optional.
    pub const NONE: Self = Self {
        fencing: false,
        release_notify: false,
        semaphores: false,
        rw_locks: false,
        guarded_writes: false,
        metadata: false,
        multi_locks: false,
        batch_extend: false,
        fair_locks: false,
    };
    /// [`Capabilities::fencing`].
    pub const FENCING: Self = Self { fencing: true, ..Self::NONE };
    /// [`Capabilities::release_notify`].
    pub const RELEASE_NOTIFY: Self = Self { release_notify: true, ..Self::NONE };
    /// Counting semaphores ([`lock_core::LockBackend::semaphores`] is `Some`).
    pub const SEMAPHORES: Self = Self { semaphores: true, ..Self::NONE };
    /// Reader-writer locks ([`lock_core::LockBackend::rw_locks`] is `Some`).
    pub const RW_LOCKS: Self = Self { rw_locks: true, ..Self::NONE };
    /// Guarded writes ([`lock_core::LockBackend::guarded_writes`] is `Some`).
    pub const GUARDED_WRITES: Self = Self { guarded_writes: true, ..Self::NONE };
    /// Lock metadata ([`lock_core::LockBackend::metadata`] is `Some`).
    pub const METADATA: Self = Self { metadata: true, ..Self::NONE };
    /// Atomic lock sets ([`lock_core::LockBackend::multi_locks`] is `Some`).
    pub const MULTI_LOCKS: Self = Self { multi_locks: true, ..Self::NONE };
    /// Batched extends ([`lock_core::LockBackend::batch_extend`] is `Some`).
    pub const BATCH_EXTEND: Self = Self { batch_extend: true, ..Self::NONE };
    /// Fair locks ([`lock_core::LockBackend::fair_locks`] is `Some`).
    pub const FAIR_LOCKS: Self = Self { fair_locks: true, ..Self::NONE };

    /// Both sets of needs.
    pub const fn and(self, other: Self) -> Self {
        Self {
            fencing: self.fencing || other.fencing,
            release_notify: self.release_notify || other.release_notify,
            semaphores: self.semaphores || other.semaphores,
            rw_locks: self.rw_locks || other.rw_locks,
            guarded_writes: self.guarded_writes || other.guarded_writes,
            metadata: self.metadata || other.metadata,
            multi_locks: self.multi_locks || other.multi_locks,
            batch_extend: self.batch_extend || other.batch_extend,
            fair_locks: self.fair_locks || other.fair_locks,
        }
    }

    /// Why `backend` cannot run the case, or `None` when it can.
    pub fn missing_in(self, backend: &DynLockBackend) -> Option<&'static str> {
        if self.semaphores && backend.semaphores().is_none() {
            return Some("requires semaphores (LockBackend::semaphores returns None)");
        }
        if self.rw_locks && backend.rw_locks().is_none() {
            return Some("requires reader-writer locks (LockBackend::rw_locks returns None)");
        }
        if self.guarded_writes && backend.guarded_writes().is_none() {
            return Some("requires guarded writes (LockBackend::guarded_writes returns None)");
        }
        if self.multi_locks && backend.multi_locks().is_none() {
            return Some("requires atomic lock sets (LockBackend::multi_locks returns None)");
        }
        if self.batch_extend && backend.batch_extend().is_none() {
            return Some("requires batched extends (LockBackend::batch_extend returns None)");
        }
        if self.fair_locks && backend.fair_locks().is_none() {
            return Some("requires fair locks (LockBackend::fair_locks returns None)");
        }
        if self.metadata && backend.metadata().is_none() {
            return Some("requires lock metadata (LockBackend::metadata returns None)");
        }
        self.missing(backend.info().capabilities)
    }

    /// Why a backend with `caps` cannot run the case, or `None` when it can (semaphores are
    /// not a flag: see [`Requires::missing_in`]).
    pub fn missing(self, caps: Capabilities) -> Option<&'static str> {
        if self.fencing && !caps.fencing {
            return Some("requires the fencing capability");
        }
        if self.release_notify && !caps.release_notify {
            return Some("requires the release_notify capability");
        }
        None
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
