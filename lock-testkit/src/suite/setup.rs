//! What a `conformance_suite!` factory may yield: a backend, or a `Result` of one (a constructor
//! that connects), whose error fails the test with a clear message.

use std::fmt::Display;

use lock_core::LockBackend;

/// A factory's output on its way to the suite (internal to `conformance_suite!`). The macro
/// calls `Setup(value).into_backend()`: for a `Result` the inherent method below applies, for
/// a plain backend the [`PlainBackend`] trait's.
#[doc(hidden)]
#[derive(Debug)]
pub struct Setup<T>(pub T);

impl<B: LockBackend, E: Display> Setup<Result<B, E>> {
    /// The backend, or a panic that names the setup failure.
    pub fn into_backend(self) -> B {
        match self.0 {
            Ok(backend) => backend,
            Err(e) => panic!("the backend factory failed (setup, not a case): {e}"),
        }
    }
}

/// [`Setup::into_backend`] for a factory that yields the backend itself.
#[doc(hidden)]
pub trait PlainBackend {
    /// The backend.
    type Backend;
    /// The backend, as given.
    fn into_backend(self) -> Self::Backend;
}

impl<B: LockBackend> PlainBackend for Setup<B> {
    type Backend = B;
    fn into_backend(self) -> B {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lock_core::MemoryBackend;

    #[test]
    fn both_shapes_give_the_backend() {
        let _plain: MemoryBackend = Setup(MemoryBackend::new()).into_backend();
        let _ok: MemoryBackend = Setup(Ok::<_, String>(MemoryBackend::new())).into_backend();
    }

    #[test]
    #[should_panic(expected = "the backend factory failed (setup, not a case): no server here")]
    fn an_error_fails_the_setup_clearly() {
        let _ = Setup(Err::<MemoryBackend, _>("no server here")).into_backend();
    }
}
