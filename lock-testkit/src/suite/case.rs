//! One conformance case: a name, what it needs, and the check itself.

use futures_util::future::BoxFuture;
use lock_core::{backend::Capabilities, backend::LeaseKind};

use crate::context::TestContext;
use crate::failure::CaseResult;

/// The check a case runs.
pub type CaseFn = fn(TestContext) -> BoxFuture<'static, CaseResult>;

/// A conformance case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Its name, as the generated `#[test]` is called.
    pub name: &'static str,
    /// The capabilities it needs; a backend without them skips it, saying which
    /// ([`missing`]).
    pub requires: Capabilities,
    /// The check.
    pub run: CaseFn,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).field("requires", &self.requires).finish()
    }
}

/// What `needs` asks of a backend with `caps` that it lacks, or `None` when it can run the
/// case: the one description, [`Capabilities`], read as the manager reads it.
pub fn missing(needs: Capabilities, caps: Capabilities) -> Option<String> {
    let flags = [
        (needs.fencing, caps.fencing, "the fencing capability"),
        (needs.release_notify, caps.release_notify, "the release_notify capability"),
        (needs.lock_sets, caps.lock_sets, "atomic lock sets (Capabilities::lock_sets)"),
        (needs.batch_extend, caps.batch_extend, "batched extends (Capabilities::batch_extend)"),
        (
            needs.guarded_writes,
            caps.guarded_writes,
            "guarded writes (Capabilities::guarded_writes)",
        ),
    ];
    if let Some((_, _, what)) = flags.iter().find(|(need, has, _)| *need && !*has) {
        return Some(format!("requires {what}"));
    }
    LeaseKind::ALL
        .into_iter()
        .find(|k| needs.offers(*k) && !caps.offers(*k))
        .map(|k| format!("requires {} (Capabilities::offers({k:?}) is false)", k.operation()))
}

/// Every capability of `a` and of `b`.
const fn and(a: Capabilities, b: Capabilities) -> Capabilities {
    let mut both = Capabilities::none()
        .with_fencing(a.fencing || b.fencing)
        .with_release_notify(a.release_notify || b.release_notify)
        .with_lock_sets(a.lock_sets || b.lock_sets)
        .with_batch_extend(a.batch_extend || b.batch_extend)
        .with_guarded_writes(a.guarded_writes || b.guarded_writes);
    let mut i = 0;
    while i < LeaseKind::ALL.len() {
        let kind = LeaseKind::ALL[i];
        both = both.with_lease(kind, a.offers(kind) || b.offers(kind));
        i += 1;
    }
    both
}

/// Every capability of every entry of `needs`.
const fn all_of(needs: &[Capabilities]) -> Capabilities {
    let mut all = Capabilities::none();
    let mut i = 0;
    while i < needs.len() {
        all = and(all, needs[i]);
        i += 1;
    }
    all
}

/// The capability a case's list entry names.
macro_rules! need {
    (FENCING) => {
        Capabilities::none().with_fencing(true)
    };
    (RELEASE_NOTIFY) => {
        Capabilities::none().with_release_notify(true)
    };
    (SEMAPHORES) => {
        Capabilities::none().with_lease(LeaseKind::Permit, true)
    };
    (RW_LOCKS) => {
        Capabilities::none().with_lease(LeaseKind::Rw, true)
    };
    (METADATA) => {
        Capabilities::none().with_lease(LeaseKind::Metadata, true)
    };
    (FAIR_LOCKS) => {
        Capabilities::none().with_lease(LeaseKind::Fair, true)
    };
    (GUARDED_WRITES) => {
        Capabilities::none().with_guarded_writes(true)
    };
    (MULTI_LOCKS) => {
        Capabilities::none().with_lock_sets(true)
    };
    (BATCH_EXTEND) => {
        Capabilities::none().with_batch_extend(true)
    };
}

macro_rules! registry {
    (() $($module:ident :: $case:ident [$($req:ident)*],)*) => {
        /// Every conformance case, in order.
        pub static CASES: &[Case] = &[
            $(Case {
                name: stringify!($case),
                requires: all_of(&[$(need!($req)),*]),
                run: |cx| Box::pin(crate::cases::$module::$case(cx)),
            },)*
        ];
    };
}

crate::__for_each_case!(registry!());
