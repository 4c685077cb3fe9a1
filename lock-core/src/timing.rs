//! Ttl limits and the validity window a guard may trust.

use std::time::Duration;

use crate::error::Error;

/// The shortest ttl a lock may have.
pub const MIN_TTL: Duration = Duration::from_millis(1);

/// The longest ttl a lock may have (100 years: far inside what Redis's `PX` accepts).
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The smallest fixed drift allowance accepted.
///
/// Redis keeps time in whole milliseconds, so a lease's start and end on the server are each
/// known only to within 1 ms; a holder that counted on the last millisecond of its lease could
/// overlap its successor by up to that much. One millisecond of allowance rules it out.
pub const MIN_DRIFT_ALLOWANCE: Duration = Duration::from_millis(1);

/// How much of a lease a holder must not count on, to cover clock-rate differences between
/// client and store: `ttl × factor + fixed`, as in Redlock (defaults 0.01 and 2 ms; `fixed` is at
/// least [`MIN_DRIFT_ALLOWANCE`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    factor: f64,
    fixed: Duration,
}

impl Drift {
    /// Checks and builds an allowance; `factor` must be in `[0, 1)` and `fixed` in
    /// [`MIN_DRIFT_ALLOWANCE`]`..=1 h`.
    pub fn new(factor: f64, fixed: Duration) -> Result<Self, Error> {
        if !(factor.is_finite() && (0.0..1.0).contains(&factor)) {
            return Err(Error::invalid("drift factor", format!("{factor} is outside [0, 1)")));
        }
        if fixed < MIN_DRIFT_ALLOWANCE {
            return Err(Error::invalid(
                "drift allowance",
                format!(
                    "{fixed:?} is below the minimum of {MIN_DRIFT_ALLOWANCE:?} (Redis counts whole milliseconds)"
                ),
            ));
        }
        if fixed > Duration::from_secs(3600) {
            return Err(Error::invalid("drift allowance", format!("{fixed:?} is above one hour")));
        }
        Ok(Self { factor, fixed })
    }

    /// The allowance for a lease of `ttl`.
    pub fn for_ttl(&self, ttl: Duration) -> Duration {
        ttl.mul_f64(self.factor).saturating_add(self.fixed)
    }

    /// The part of a lease of `ttl` a holder may count on, or an error when nothing is left.
    pub fn validity(&self, ttl: Duration) -> Result<Duration, Error> {
        validate_ttl(ttl)?;
        let drift = self.for_ttl(ttl);
        match ttl.checked_sub(drift) {
            Some(v) if !v.is_zero() => Ok(v),
            _ => Err(Error::invalid(
                "ttl",
                format!("{ttl:?} leaves no validity after the clock-drift allowance of {drift:?}"),
            )),
        }
    }
}

/// Default drift factor.
pub(crate) const DEFAULT_DRIFT_FACTOR: f64 = 0.01;

/// Default fixed drift allowance.
pub(crate) const DEFAULT_DRIFT_FIXED: Duration = Duration::from_millis(2);

impl Default for Drift {
    fn default() -> Self {
        Self { factor: DEFAULT_DRIFT_FACTOR, fixed: DEFAULT_DRIFT_FIXED }
    }
}

/// Checks that `ttl` is within [`MIN_TTL`]..=[`MAX_TTL`].
pub fn validate_ttl(ttl: Duration) -> Result<(), Error> {
    if ttl < MIN_TTL {
        return Err(Error::invalid("ttl", format!("{ttl:?} is below the minimum of {MIN_TTL:?}")));
    }
    if ttl > MAX_TTL {
        return Err(Error::invalid("ttl", format!("{ttl:?} is above the maximum of {MAX_TTL:?}")));
    }
    Ok(())
}

/// `ttl` in whole milliseconds, rounded up (a store then never expires a lock sooner than the
/// holder was told).
pub fn ttl_millis(ttl: Duration) -> u64 {
    let ms = ttl.as_millis();
    let ms = if !ttl.subsec_nanos().is_multiple_of(1_000_000) { ms + 1 } else { ms };
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(MAX_TTL, Duration::from_secs(3_153_600_000), "100 years of 365 days");
        assert!(validate_ttl(Duration::ZERO).is_err());
        assert!(validate_ttl(Duration::from_micros(999)).is_err());
        assert!(validate_ttl(MIN_TTL).is_ok());
        assert!(validate_ttl(Duration::MAX).is_err());
        assert!(Drift::new(1.0, MIN_DRIFT_ALLOWANCE).is_err());
        assert!(Drift::new(-0.1, MIN_DRIFT_ALLOWANCE).is_err());
        assert!(Drift::new(f64::NAN, MIN_DRIFT_ALLOWANCE).is_err());
        assert!(Drift::new(0.0, MIN_DRIFT_ALLOWANCE).is_ok());
        assert!(Drift::new(0.0, Duration::ZERO).is_err(), "no allowance at all");
        assert!(Drift::new(0.0, Duration::from_micros(999)).is_err());
    }

    #[test]
    fn validity_leaves_room_for_drift() {
        let d = Drift::default();
        assert_eq!(d.validity(Duration::from_secs(1)).ok(), Some(Duration::from_millis(988)));
        assert!(d.validity(Duration::from_millis(2)).is_err());
        assert!(d.validity(Duration::from_millis(3)).is_ok());
    }

    #[test]
    fn millis_round_up() {
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 2);
        assert_eq!(ttl_millis(Duration::from_millis(7)), 7);
    }
}
