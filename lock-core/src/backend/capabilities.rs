//! What a backend can do beyond the required primitives.

/// The optional features a backend offers. A plain `Copy` value: build it with
/// [`Capabilities::none`] and the `with_*` setters (the struct is `#[non_exhaustive]`, so new
/// capabilities can be added without breaking backends).
///
/// ```
/// use lock_core::Capabilities;
/// const CAPS: Capabilities = Capabilities::none().with_fencing(true);
/// assert!(CAPS.fencing);
/// assert!(!CAPS.release_notify);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// [`crate::LockBackend::try_acquire`] returns `Acquired { fencing: Some(_) }`, strictly
    /// increasing per key across releases, expiries and takeovers.
    pub fencing: bool,
    /// [`crate::LockBackend::watch_release`] is implemented.
    pub release_notify: bool,
}

impl Capabilities {
    /// No optional capability.
    pub const fn none() -> Self {
        Self { fencing: false, release_notify: false }
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
