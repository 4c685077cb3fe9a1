//! The one list of [`crate::LockBackend`]'s methods that a wrapper forwards.

/// Implements [`crate::LockBackend`] for a wrapper by forwarding every method, the optional
/// accessors and provided methods included, to the backend that `|this| expr` returns from
/// `&self`. Each method hands the inner backend's boxed future on rather than boxing it again.
///
/// This is the only list of the trait's methods that forwards: `Arc<T>` and `Box<T>` use it,
/// and so do lock-redis and lock-fred. `lock-core/tests/forwarding.rs` fails when a method of
/// the trait is left out.
///
/// ```
/// use std::sync::Arc;
/// use lock_core::{LockManager, MemoryBackend};
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
/// let _ = LockManager::new(Named { inner: Arc::new(MemoryBackend::new()) });
/// let _ = LockManager::new(Wrap(MemoryBackend::new()));
/// ```
#[macro_export]
macro_rules! forward_lock_backend {
    (impl $([$($generics:tt)*])? for $ty:ty => |$this:ident| $inner:expr) => {
        impl $(<$($generics)*>)? $crate::LockBackend for $ty {
            fn info(&self) -> $crate::backend::BackendInfo {
                let $this = self;
                ($inner).info()
            }

            fn endpoint(&self) -> ::std::option::Option<::std::string::String> {
                let $this = self;
                ($inner).endpoint()
            }

            fn guarded_writes(&self) -> ::std::option::Option<&dyn $crate::backend::GuardedWriteBackend> {
                let $this = self;
                ($inner).guarded_writes()
            }

            fn can_acquire_together(&self, keys: &[$crate::LockKey]) -> bool {
                let $this = self;
                ($inner).can_acquire_together(keys)
            }

            fn max_batch(&self) -> usize {
                let $this = self;
                ($inner).max_batch()
            }

            fn try_acquire_all<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                keys: &'life1 [$crate::LockKey],
                tokens: &'life2 [$crate::LockToken],
                ttl: ::std::time::Duration,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::MultiAcquireOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).try_acquire_all(keys, tokens, ttl)
            }

            fn extend_batch<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                items: &'life1 [$crate::backend::ExtendItem<'life2>],
            ) -> $crate::backend::BackendFuture<'async_trait, ::std::vec::Vec<$crate::backend::ExtendOutcome>>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).extend_batch(items)
            }

            fn try_acquire<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                ttl: ::std::time::Duration,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::AcquireOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).try_acquire(key, token, ttl)
            }

            fn release<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ReleaseOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).release(key, token)
            }

            fn extend<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                ttl: ::std::time::Duration,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ExtendOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).extend(key, token, ttl)
            }

            fn inspect<'life0, 'life1, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
            ) -> $crate::backend::BackendFuture<'async_trait, ::std::option::Option<$crate::backend::LockInfo>>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).inspect(key)
            }

            fn watch_release<'life0, 'life1, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ReleaseWatch>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).watch_release(key)
            }

            fn acquire_lease<'life0, 'life1, 'life2, 'life3, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                lease: $crate::backend::Lease<'life3>,
                ttl: ::std::time::Duration,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::AcquireOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                'life3: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).acquire_lease(key, token, lease, ttl)
            }

            fn release_lease<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                kind: $crate::backend::LeaseKind,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ReleaseOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).release_lease(key, token, kind)
            }

            fn extend_lease<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                kind: $crate::backend::LeaseKind,
                ttl: ::std::time::Duration,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ExtendOutcome>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).extend_lease(key, token, kind, ttl)
            }

            fn inspect_lease<'life0, 'life1, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                kind: $crate::backend::LeaseKind,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::LeaseHolders>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).inspect_lease(key, kind)
            }

            fn watch_lease<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
                kind: $crate::backend::LeaseKind,
            ) -> $crate::backend::BackendFuture<'async_trait, $crate::backend::ReleaseWatch>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).watch_lease(key, token, kind)
            }

            fn inspect_metadata<'life0, 'life1, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
            ) -> $crate::backend::BackendFuture<
                'async_trait,
                ::std::option::Option<($crate::LockToken, $crate::Metadata)>,
            >
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).inspect_metadata(key)
            }

            fn holds<'life0, 'life1, 'life2, 'async_trait>(
                &'life0 self,
                key: &'life1 $crate::LockKey,
                token: &'life2 $crate::LockToken,
            ) -> $crate::backend::BackendFuture<'async_trait, bool>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                Self: 'async_trait,
            {
                let $this = self;
                ($inner).holds(key, token)
            }
        }
    };
}
