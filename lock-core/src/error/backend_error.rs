//! The one error type a backend returns.

use std::borrow::Cow;
use std::fmt;

/// A boxed error from a store's client library, kept as the source of a [`BackendError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a backend, coarsely; used to decide whether to retry and what to tell
/// the user.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendErrorKind {
    /// The store could not be reached, or the connection broke.
    Connection,
    /// The store did not answer in time. The command may or may not have been applied.
    Timeout,
    /// The store is up but temporarily cannot serve (loading, failing over, cluster down, busy).
    Unavailable,
    /// Authentication failed or the user lacks a permission the operation needs.
    Auth,
    /// The key holds data the lock protocol did not write (another type, for example); fix or
    /// remove it by hand: retrying will not help.
    WrongType,
    /// This backend cannot store a lock under this key (see the message for why).
    InvalidKey,
    /// The store answered something the protocol does not allow.
    Protocol,
    /// The backend was configured wrongly.
    Config,
    /// The backend does not implement the operation (see [`crate::backend::Capabilities`]).
    Unsupported,
    /// The write was applied on the primary but fewer replicas than required confirmed it in
    /// time (see WAIT mode in the Redis backends); a failover could lose it.
    Replication,
    /// Anything else.
    Other,
}

impl BackendErrorKind {
    /// Whether errors of this kind are usually worth retrying.
    pub const fn is_temporary_by_default(self) -> bool {
        matches!(self, Self::Connection | Self::Timeout | Self::Unavailable | Self::Replication)
    }
}

impl fmt::Display for BackendErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connection => "connection error",
            Self::Timeout => "timed out",
            Self::Unavailable => "store unavailable",
            Self::Auth => "not authorised",
            Self::WrongType => "key holds foreign data",
            Self::InvalidKey => "key not storable",
            Self::Protocol => "protocol error",
            Self::Config => "configuration error",
            Self::Unsupported => "unsupported",
            Self::Replication => "not replicated in time",
            Self::Other => "error",
        })
    }
}

/// An error reported by a [`crate::LockBackend`]: a kind, the backend's name, whether a retry
/// may succeed, a message, and the client library's error as the source.
///
/// ```
/// use lock_core::{BackendError, BackendErrorKind};
/// let err = BackendError::new("my-store", BackendErrorKind::Timeout, "no reply in 500ms");
/// assert!(err.is_temporary());
/// assert_eq!(err.to_string(), "my-store backend: timed out: no reply in 500ms");
/// let err = err.with_temporary(false);
/// assert!(!err.is_temporary());
/// ```
#[derive(Debug)]
pub struct BackendError {
    kind: BackendErrorKind,
    backend: &'static str,
    temporary: bool,
    message: Cow<'static, str>,
    operation: Option<&'static str>,
    source: Option<BoxError>,
}

impl BackendError {
    /// A new error; `temporary` starts as [`BackendErrorKind::is_temporary_by_default`].
    pub fn new(
        backend: &'static str,
        kind: BackendErrorKind,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            kind,
            backend,
            temporary: kind.is_temporary_by_default(),
            message: message.into(),
            operation: None,
            source: None,
        }
    }

    /// The answer of an optional method the backend does not implement.
    pub fn unsupported(backend: &'static str, operation: &'static str) -> Self {
        let mut e = Self::new(backend, BackendErrorKind::Unsupported, operation);
        e.operation = Some(operation);
        e
    }

    /// Attaches the client library's error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Overrides whether a retry may succeed.
    pub fn with_temporary(mut self, temporary: bool) -> Self {
        self.temporary = temporary;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> BackendErrorKind {
        self.kind
    }

    /// The name of the backend that failed ([`crate::backend::BackendInfo::name`]).
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether a retry of the same operation may succeed.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }

    /// The operation an `Unsupported` error refers to.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// The message, without kind or backend.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} backend: {}: {}", self.backend, self.kind, self.message)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
