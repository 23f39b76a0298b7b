//! Percentiles of a sample of durations (nearest rank).

use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Sample {
    millis: Vec<f64>,
}

impl Sample {
    pub fn push(&mut self, d: Duration) {
        self.millis.push(d.as_secs_f64() * 1000.0);
    }

    /// The raw sample in milliseconds, in the order measured.
    pub fn millis(&self) -> &[f64] {
        &self.millis
    }

    pub fn len(&self) -> usize {
        self.millis.len()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.millis.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The `p`th percentile in milliseconds (nearest rank); NaN when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    pub fn p50(&self) -> f64 {
        self.percentile(50.0)
    }

    pub fn p99(&self) -> f64 {
        self.percentile(99.0)
    }

    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_taken_by_nearest_rank() {
        let mut s = Sample::default();
        for ms in 1..=100 {
            s.push(Duration::from_millis(ms));
        }
        assert_eq!(s.p50(), 50.0);
        assert_eq!(s.p99(), 99.0);
        assert_eq!(s.percentile(100.0), 100.0);
        assert_eq!((s.min(), s.max()), (1.0, 100.0));
    }
}
