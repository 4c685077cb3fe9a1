//! The one list of [`crate::LockBackend`]'s methods that a wrapper forwards.

/// Implements [`crate::LockBackend`] for a wrapper by forwarding every method, the optional
/// accessors and provided methods included, to the backend that `|this| expr` returns from
/// `&self`. Each method hands the inner backend's boxed future on rather than boxing it again.
///
/// A wrapper that changes some calls writes those after `except`, as in an `#[async_trait]`
/// impl of the trait; every other method is forwarded (a method left out of a hand-written
/// impl would answer with the trait's default instead of the inner backend's answer).
///
/// This is the only list of the trait's methods that forwards: `Arc<T>` and `Box<T>` use it,
/// and so do lock-redis and lock-fred. `lock-core/tests/forwarding.rs` fails when a method of
/// the trait is left out, with or without overrides.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use lock_core::backend::AcquireOutcome;
/// use lock_core::{BackendError, LockKey, LockManager, LockToken, MemoryBackend};
///
/// #[derive(Debug)]
/// struct Named {
///     inner: Arc<MemoryBackend>,
/// }
/// lock_core::forward_lock_backend!(impl for Named => |this| &this.inner);
///
/// // Generic wrappers name their parameters in brackets:
/// #[derive(Debug)]
/// struct Wrap<B>(B);
/// lock_core::forward_lock_backend!(impl[B: lock_core::LockBackend] for Wrap<B> => |this| &this.0);
///
/// // A wrapper that counts acquire attempts and forwards everything else:
/// #[derive(Debug, Default)]
/// struct Counted {
///     inner: MemoryBackend,
///     attempts: AtomicUsize,
/// }
/// lock_core::forward_lock_backend!(impl for Counted => |this| &this.inner, except {
///     async fn try_acquire(
///         &self,
///         key: &LockKey,
///         token: &LockToken,
///         ttl: Duration,
///     ) -> Result<AcquireOutcome, BackendError> {
///         self.attempts.fetch_add(1, Ordering::Relaxed);
///         self.inner.try_acquire(key, token, ttl).await
///     }
/// });
///
/// let _ = LockManager::new(Named { inner: Arc::new(MemoryBackend::new()) });
/// let _ = LockManager::new(Wrap(MemoryBackend::new()));
/// let _ = LockManager::new(Counted::default());
/// ```
#[macro_export]
macro_rules! forward_lock_backend {
    (impl $([$($generics:tt)*])? for $ty:ty => |$this:ident| $inner:expr) => {
        $crate::forward_lock_backend!(impl $([$($generics)*])? for $ty => |$this| $inner, except {});
    };
    (impl $([$($generics:tt)*])? for $ty:ty => |$this:ident| $inner:expr, except { $($items:tt)* }) => {
        $crate::forward_lock_backend!(
            @names [] [$($items)*] (impl $([$($generics)*])? for $ty => |$this| $inner) { $($items)* }
        );
    };
    // Collects the names of the methods written after `except`.
    (@names [$($names:ident)*]
        [$(#[$meta:meta])* async fn $name:ident ($($params:tt)*) $(-> $ret:ty)? $body:block $($rest:tt)*]
        $head:tt $items:tt) => {
        $crate::forward_lock_backend!(@names [$($names)* $name] [$($rest)*] $head $items);
    };
    (@names [$($names:ident)*]
        [$(#[$meta:meta])* fn $name:ident ($($params:tt)*) $(-> $ret:ty)? $body:block $($rest:tt)*]
        $head:tt $items:tt) => {
        $crate::forward_lock_backend!(@names [$($names)* $name] [$($rest)*] $head $items);
    };
    (@names [$($names:ident)*] []
        (impl $([$($generics:tt)*])? for $ty:ty => |$this:ident| $inner:expr) { $($items:tt)* }) => {
        #[$crate::backend::async_trait]
        impl $(<$($generics)*>)? $crate::LockBackend for $ty {
            $($items)*
            $crate::forward_lock_backend!(@sync [$($names)*] $this $inner;
                info() -> $crate::backend::BackendInfo;
                endpoint() -> ::std::option::Option<::std::string::String>;
                guarded_writes() -> ::std::option::Option<&dyn $crate::backend::GuardedWriteBackend>;
                can_acquire_together(keys: &[$crate::LockKey]) -> bool;
                max_batch() -> usize;
            );
            $crate::forward_lock_backend!(@async [$($names)*] $this $inner;
                try_acquire_all<'life1, 'life2>(keys: &'life1 [$crate::LockKey],
                    tokens: &'life2 [$crate::LockToken], ttl: ::std::time::Duration)
                    -> $crate::backend::MultiAcquireOutcome;
                extend_batch<'life1, 'life2>(items: &'life1 [$crate::backend::ExtendItem<'life2>])
                    -> ::std::vec::Vec<$crate::backend::ExtendOutcome>;
                try_acquire<'life1, 'life2>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, ttl: ::std::time::Duration)
                    -> $crate::backend::AcquireOutcome;
                release<'life1, 'life2>(key: &'life1 $crate::LockKey, token: &'life2 $crate::LockToken)
                    -> $crate::backend::ReleaseOutcome;
                extend<'life1, 'life2>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, ttl: ::std::time::Duration)
                    -> $crate::backend::ExtendOutcome;
                inspect<'life1>(key: &'life1 $crate::LockKey)
                    -> ::std::option::Option<$crate::backend::LockInfo>;
                watch_release<'life1>(key: &'life1 $crate::LockKey) -> $crate::backend::ReleaseWatch;
                watch_before_attempt<'life1>(key: &'life1 $crate::LockKey)
                    -> $crate::backend::ReleaseWatch;
                acquire_lease<'life1, 'life2, 'life3>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, lease: $crate::backend::Lease<'life3>,
                    ttl: ::std::time::Duration) -> $crate::backend::AcquireOutcome;
                release_lease<'life1, 'life2>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, kind: $crate::backend::LeaseKind)
                    -> $crate::backend::ReleaseOutcome;
                extend_lease<'life1, 'life2>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, kind: $crate::backend::LeaseKind,
                    ttl: ::std::time::Duration) -> $crate::backend::ExtendOutcome;
                inspect_lease<'life1>(key: &'life1 $crate::LockKey, kind: $crate::backend::LeaseKind)
                    -> $crate::backend::LeaseHolders;
                watch_lease<'life1, 'life2>(key: &'life1 $crate::LockKey,
                    token: &'life2 $crate::LockToken, kind: $crate::backend::LeaseKind)
                    -> $crate::backend::ReleaseWatch;
                inspect_metadata<'life1>(key: &'life1 $crate::LockKey)
                    -> ::std::option::Option<($crate::LockToken, $crate::Metadata)>;
                holds<'life1, 'life2>(key: &'life1 $crate::LockKey, token: &'life2 $crate::LockToken)
                    -> bool;
            );
        }
    };
    // A plain method, forwarded as it is.
    (@sync $names:tt $this:ident $inner:expr;
        $($name:ident($($param:ident: $ptype:ty),*) -> $ret:ty;)*) => {
        $($crate::forward_lock_backend!(@unless $name $names {
            fn $name(&self, $($param: $ptype),*) -> $ret {
                let $this = self;
                ($inner).$name($($param),*)
            }
        });)*
    };
    // An async method, written as `#[async_trait]` expands it, so that the inner backend's boxed
    // future is handed on rather than boxed again.
    (@async $names:tt $this:ident $inner:expr;
        $($name:ident<$($life:lifetime),*>($($param:ident: $ptype:ty),*) -> $ret:ty;)*) => {
        $($crate::forward_lock_backend!(@unless $name $names {
            fn $name<'life0, $($life,)* 'async_trait>(
                &'life0 self,
                $($param: $ptype),*
            ) -> $crate::backend::BackendFuture<'async_trait, $ret>
            where
                'life0: 'async_trait,
                $($life: 'async_trait,)*
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).$name($($param),*)
            }
        });)*
    };
    // Emits the forwarding method unless the wrapper wrote its own.
    (@unless $method:ident [] { $($forward:tt)* }) => { $($forward)* };
    (@unless info [info $($rest:ident)*] $forward:tt) => {};
    (@unless endpoint [endpoint $($rest:ident)*] $forward:tt) => {};
    (@unless guarded_writes [guarded_writes $($rest:ident)*] $forward:tt) => {};
    (@unless can_acquire_together [can_acquire_together $($rest:ident)*] $forward:tt) => {};
    (@unless max_batch [max_batch $($rest:ident)*] $forward:tt) => {};
    (@unless try_acquire_all [try_acquire_all $($rest:ident)*] $forward:tt) => {};
    (@unless extend_batch [extend_batch $($rest:ident)*] $forward:tt) => {};
    (@unless try_acquire [try_acquire $($rest:ident)*] $forward:tt) => {};
    (@unless release [release $($rest:ident)*] $forward:tt) => {};
    (@unless extend [extend $($rest:ident)*] $forward:tt) => {};
    (@unless inspect [inspect $($rest:ident)*] $forward:tt) => {};
    (@unless watch_release [watch_release $($rest:ident)*] $forward:tt) => {};
    (@unless watch_before_attempt [watch_before_attempt $($rest:ident)*] $forward:tt) => {};
    (@unless acquire_lease [acquire_lease $($rest:ident)*] $forward:tt) => {};
    (@unless release_lease [release_lease $($rest:ident)*] $forward:tt) => {};
    (@unless extend_lease [extend_lease $($rest:ident)*] $forward:tt) => {};
    (@unless inspect_lease [inspect_lease $($rest:ident)*] $forward:tt) => {};
    (@unless watch_lease [watch_lease $($rest:ident)*] $forward:tt) => {};
    (@unless inspect_metadata [inspect_metadata $($rest:ident)*] $forward:tt) => {};
    (@unless holds [holds $($rest:ident)*] $forward:tt) => {};
    (@unless $method:ident [$other:ident $($rest:ident)*] $forward:tt) => {
        $crate::forward_lock_backend!(@unless $method [$($rest)*] $forward);
    };
}
