//! Latency summaries.

use std::time::Duration;

/// Sorted samples, for percentiles.
#[derive(Debug, Default)]
pub(crate) struct Samples(Vec<Duration>);

impl Samples {
    pub(crate) fn extend(&mut self, more: Vec<Duration>) {
        self.0.extend(more);
    }

    /// How many samples.
    #[cfg(feature = "bench")]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn finish(mut self) -> Self {
        self.0.sort_unstable();
        self
    }

    /// The `p`-th percentile (0..=100) in microseconds; 0 with no samples.
    pub(crate) fn percentile_us(&self, p: f64) -> u64 {
        if self.0.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank.min(self.0.len() - 1)].as_micros() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut s = Samples::default();
        s.extend((1..=100).map(Duration::from_micros).collect());
        let s = s.finish();
        assert_eq!(s.percentile_us(50.0), 51);
        assert_eq!(s.percentile_us(99.0), 99);
        assert_eq!(Samples::default().percentile_us(50.0), 0);
    }
}
