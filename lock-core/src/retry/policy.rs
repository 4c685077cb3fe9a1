//! `RetryPolicy`: none, fixed, linear or exponential backoff, with jitter and a budget.

use std::time::Duration;

use crate::error::Error;

/// The shortest delay between two attempts; also the floor after jitter, so no policy can
/// spin.
pub const MIN_RETRY_DELAY: Duration = Duration::from_millis(1);

/// The longest delay a policy may ask for between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// How long [`RetryPolicy::default`] waits in all before giving up.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backoff {
    None,
    Fixed(Duration),
    Linear { initial: Duration, step: Duration },
    Exponential { initial: Duration, factor: f64 },
}

/// How long to wait between acquire attempts, and when to give up.
///
/// The delay is the upper bound of each wait: the manager also wakes when the holder's ttl
/// runs out and, on backends with release notification, as soon as the holder releases. Jitter
/// takes a random share off each delay so contenders do not retry in lock step. The shapes built
/// here have no attempt or wait cap until one is set; [`RetryPolicy::default`] (what a manager
/// uses unless told otherwise) gives up after 60 s. Settings are checked when an acquire
/// starts, before any I/O: zero or out-of-range values are an [`Error::InvalidArgument`].
///
/// ```
/// use std::time::Duration;
/// use lock_core::RetryPolicy;
///
/// // A first try and 5 retries, 100 ms apart:
/// let six_tries = RetryPolicy::fixed(Duration::from_millis(100)).max_attempts(6);
/// // Exponential from 10 ms to 1 s, a third of each delay random, for at most 5 s:
/// let patient = RetryPolicy::exponential(Duration::from_millis(10), Duration::from_secs(1))
///     .jitter(0.33)
///     .max_wait(Duration::from_secs(5));
/// assert_eq!(six_tries.delay_bounds(3), (Duration::from_millis(100), Duration::from_millis(100)));
/// assert!(patient.validate().is_ok());
/// assert!(RetryPolicy::fixed(Duration::ZERO).validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    backoff: Backoff,
    max_delay: Duration,
    jitter: f64,
    max_attempts: Option<u32>,
    max_wait: Option<Duration>,
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub const fn none() -> Self {
        Self {
            backoff: Backoff::None,
            max_delay: MAX_RETRY_DELAY,
            jitter: 0.0,
            max_attempts: Some(1),
            max_wait: None,
        }
    }

    /// The same delay before every retry.
    pub const fn fixed(delay: Duration) -> Self {
        Self::shaped(Backoff::Fixed(delay), MAX_RETRY_DELAY)
    }

    /// `initial`, then `initial + step`, `initial + 2·step`, ... (cap it with
    /// [`RetryPolicy::max_delay`]).
    pub const fn linear(initial: Duration, step: Duration) -> Self {
        Self::shaped(Backoff::Linear { initial, step }, MAX_RETRY_DELAY)
    }

    /// `initial`, doubling (see [`RetryPolicy::factor`]) up to `max`.
    pub const fn exponential(initial: Duration, max: Duration) -> Self {
        Self::shaped(Backoff::Exponential { initial, factor: 2.0 }, max)
    }

    const fn shaped(backoff: Backoff, max_delay: Duration) -> Self {
        Self { backoff, max_delay, jitter: 0.0, max_attempts: None, max_wait: None }
    }

    /// Growth factor of an exponential policy (≥ 1, default 2); ignored by other shapes.
    pub const fn factor(mut self, factor: f64) -> Self {
        if let Backoff::Exponential { initial, .. } = self.backoff {
            self.backoff = Backoff::Exponential { initial, factor };
        }
        self
    }

    /// Caps every delay.
    pub const fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Takes a random share of up to `fraction` (0 to 1) off each delay.
    pub const fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// Gives up after `attempts` attempts in all (the first one included), spaced by the
    /// policy's delays. Two looks right away are not counted: on a backend with release
    /// notification, one just after first subscribing (so a release between the refused attempt
    /// and the subscription is not missed), and one on reaching the head of the manager's
    /// local queue after waiting behind its other waiters for the key. The store may so be
    /// asked up to `attempts + 2` times, as [`crate::Error::WaitTimeout`]'s `attempts` reports.
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Gives up once `wait` has passed since the acquire started (`Duration::ZERO`: one attempt).
    pub const fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = Some(wait);
        self
    }

    /// Removes the total wait cap: the policy waits for as long as the lock stays held (or
    /// until its attempt cap). Beware: a task that asks for a lock it already holds, whose
    /// guard is auto-refreshed, then waits forever (locks are not reentrant).
    pub const fn wait_forever(mut self) -> Self {
        self.max_wait = None;
        self
    }

    /// The attempt cap, if any.
    pub const fn attempts_limit(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The total wait cap, if any.
    pub const fn wait_limit(&self) -> Option<Duration> {
        self.max_wait
    }

    /// Whether this policy can ever make a second attempt.
    pub fn may_retry(&self) -> bool {
        !matches!(self.backoff, Backoff::None)
            && self.max_attempts.is_none_or(|n| n > 1)
            && self.max_wait.is_none_or(|w| !w.is_zero())
    }

    /// Checks every setting; called by the manager before an acquire sends anything.
    pub fn validate(&self) -> Result<(), Error> {
        let delay_ok = |what: &'static str, d: Duration| {
            if d < MIN_RETRY_DELAY {
                Err(Error::invalid(
                    what,
                    format!("{d:?} is below the minimum of {MIN_RETRY_DELAY:?}"),
                ))
            } else if d > MAX_RETRY_DELAY {
                Err(Error::invalid(
                    what,
                    format!("{d:?} is above the maximum of {MAX_RETRY_DELAY:?}"),
                ))
            } else {
                Ok(())
            }
        };
        match self.backoff {
            Backoff::None => {}
            Backoff::Fixed(d) => delay_ok("retry delay", d)?,
            Backoff::Linear { initial, step } => {
                delay_ok("retry delay", initial)?;
                if step > MAX_RETRY_DELAY {
                    return Err(Error::invalid(
                        "retry step",
                        format!("{step:?} is above {MAX_RETRY_DELAY:?}"),
                    ));
                }
            }
            Backoff::Exponential { initial, factor } => {
                delay_ok("retry delay", initial)?;
                if !(factor.is_finite() && (1.0..=100.0).contains(&factor)) {
                    return Err(Error::invalid(
                        "backoff factor",
                        format!("{factor} is outside 1..=100"),
                    ));
                }
                if self.max_delay < initial {
                    return Err(Error::invalid(
                        "max delay",
                        "it is shorter than the initial delay",
                    ));
                }
            }
        }
        if !matches!(self.backoff, Backoff::None) {
            delay_ok("max delay", self.max_delay)?;
        }
        if !(self.jitter.is_finite() && (0.0..=1.0).contains(&self.jitter)) {
            return Err(Error::invalid("jitter", format!("{} is outside 0..=1", self.jitter)));
        }
        if self.max_attempts == Some(0) {
            return Err(Error::invalid("max attempts", "zero attempts can never acquire"));
        }
        Ok(())
    }

    /// The range the delay after `failed` unsuccessful attempts falls in (before any cap by the
    /// holder's ttl): jitter picks a point between the two.
    pub fn delay_bounds(&self, failed: u32) -> (Duration, Duration) {
        let n = failed.saturating_sub(1);
        let base = match self.backoff {
            Backoff::None => Duration::ZERO,
            Backoff::Fixed(d) => d,
            Backoff::Linear { initial, step } => initial.saturating_add(step.saturating_mul(n)),
            Backoff::Exponential { initial, factor } => {
                let grown = initial.as_secs_f64() * factor.powi(n.min(1024) as i32);
                if grown.is_finite() && grown < self.max_delay.as_secs_f64() {
                    Duration::from_secs_f64(grown)
                } else {
                    self.max_delay
                }
            }
        };
        let high = base.min(self.max_delay).max(MIN_RETRY_DELAY);
        let low = high.mul_f64(1.0 - self.jitter.clamp(0.0, 1.0)).max(MIN_RETRY_DELAY);
        (low, high)
    }

    /// The delay after `failed` unsuccessful attempts, jitter applied.
    pub fn delay(&self, failed: u32) -> Duration {
        let (low, high) = self.delay_bounds(failed);
        if low >= high {
            return high;
        }
        let span = (high - low).as_nanos() as u64;
        low + Duration::from_nanos(rand::random_range(0..=span))
    }
}

impl Default for RetryPolicy {
    /// Exponential from 10 ms to 250 ms with half of each delay random, giving up after
    /// [`DEFAULT_MAX_WAIT`] (60 s): what [`crate::LockRequest::acquire`] uses unless told
    /// otherwise. The cap turns what would be a silent hang (a lock held by a stuck process that
    /// keeps refreshing it, or by the waiting task itself) into an [`crate::Error::WaitTimeout`];
    /// remove it with [`RetryPolicy::wait_forever`].
    fn default() -> Self {
        Self::exponential(Duration::from_millis(10), Duration::from_millis(250))
            .jitter(0.5)
            .max_wait(DEFAULT_MAX_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One attempt allowed is no retry; two is.
    #[test]
    fn may_retry_needs_a_second_attempt() {
        let fixed = RetryPolicy::fixed(Duration::from_millis(10));
        assert!(!fixed.max_attempts(1).may_retry());
        assert!(fixed.max_attempts(2).may_retry());
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn shapes() {
        let lin = RetryPolicy::linear(10 * MS, 5 * MS).max_delay(22 * MS);
        assert_eq!(lin.delay_bounds(1).1, 10 * MS);
        assert_eq!(lin.delay_bounds(2).1, 15 * MS);
        assert_eq!(lin.delay_bounds(3).1, 20 * MS);
        assert_eq!(lin.delay_bounds(4).1, 22 * MS);
        let exp = RetryPolicy::exponential(10 * MS, 70 * MS);
        let highs: Vec<_> = (1..=5).map(|n| exp.delay_bounds(n).1).collect();
        assert_eq!(highs, vec![10 * MS, 20 * MS, 40 * MS, 70 * MS, 70 * MS]);
        assert_eq!(exp.delay_bounds(u32::MAX).1, 70 * MS);
    }

    #[test]
    fn jitter_stays_in_bounds_and_never_hits_zero() {
        let p = RetryPolicy::fixed(MS).jitter(1.0);
        for _ in 0..1000 {
            assert!(p.delay(1) >= MIN_RETRY_DELAY);
        }
        let p = RetryPolicy::fixed(100 * MS).jitter(0.5);
        for _ in 0..1000 {
            let d = p.delay(7);
            assert!((50 * MS..=100 * MS).contains(&d), "{d:?}");
        }
    }

    #[test]
    fn bad_settings_are_rejected() {
        assert!(RetryPolicy::none().validate().is_ok());
        assert!(RetryPolicy::default().validate().is_ok());
        assert_eq!(RetryPolicy::default().wait_limit(), Some(DEFAULT_MAX_WAIT));
        assert_eq!(RetryPolicy::default().wait_forever().wait_limit(), None);
        assert!(RetryPolicy::fixed(Duration::ZERO).validate().is_err());
        assert!(RetryPolicy::fixed(Duration::from_secs(7200)).validate().is_err());
        assert!(RetryPolicy::fixed(MS).jitter(f64::NAN).validate().is_err());
        assert!(RetryPolicy::fixed(MS).jitter(1.5).validate().is_err());
        assert!(RetryPolicy::fixed(MS).max_attempts(0).validate().is_err());
        assert!(RetryPolicy::exponential(MS, MS).factor(0.5).validate().is_err());
        assert!(RetryPolicy::exponential(10 * MS, MS).validate().is_err());
        assert!(!RetryPolicy::none().may_retry());
        assert!(!RetryPolicy::fixed(MS).max_wait(Duration::ZERO).may_retry());
        assert!(RetryPolicy::fixed(MS).max_attempts(2).may_retry());
    }
}
