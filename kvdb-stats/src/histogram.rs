//! [`Histogram`]: latency counts in fixed log-scale buckets, mergeable by addition.
//!
//! Bucket `i` of a duration `v` (in nanoseconds) is HDR-style: values below 16 ns have a
//! bucket each; above, every power of two is split into 8 equal sub-buckets. A bucket's width
//! is at most 1/8 of its lower bound, and a percentile is reported as its bucket's midpoint
//! (clamped to the exact min and max), so **a percentile is within 6.25 % of the exact
//! nearest-rank value**. The buckets are the same for every process and every level, so
//! merging minutes into hours (or the counts of several processes) is plain addition and
//! exact.

use std::fmt::Write as _;

/// Sub-buckets per power of two, as a number of bits.
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;

/// The bucket a duration in nanoseconds falls in.
pub(crate) fn bucket_index(nanos: u64) -> u16 {
    if nanos < 2 * SUB {
        return nanos as u16;
    }
    let exponent = 63 - nanos.leading_zeros();
    let sub = (nanos >> (exponent - SUB_BITS)) & (SUB - 1);
    ((u64::from(exponent - SUB_BITS + 1) * SUB) + sub) as u16
}

/// The values `[low, high)` bucket `index` holds.
pub(crate) fn bucket_bounds(index: u16) -> (u64, u64) {
    let index = u64::from(index);
    if index < 2 * SUB {
        return (index, index + 1);
    }
    let shift = index / SUB - 1;
    let low = (SUB + index % SUB) << shift;
    (low, low.saturating_add(1 << shift))
}

/// Counts per bucket: a sorted, sparse list of `(bucket, count)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Histogram {
    counts: Vec<(u16, u64)>,
}

impl Histogram {
    /// Counts one duration.
    #[inline]
    pub(crate) fn record(&mut self, nanos: u64) {
        self.add(bucket_index(nanos), 1);
    }

    /// Adds `count` to bucket `index`.
    #[inline]
    pub(crate) fn add(&mut self, index: u16, count: u64) {
        match self.counts.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => self.counts[at].1 += count,
            Err(at) => self.counts.insert(at, (index, count)),
        }
    }

    /// Adds every count of `other`.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for &(index, count) in &other.counts {
            self.add(index, count);
        }
    }

    /// The nearest-rank `quantile` (0.0..=1.0) estimate: the midpoint of the bucket the rank
    /// falls in, clamped to `[min, max]` (the first and last rank are `min` and `max`
    /// themselves). `None` for an empty histogram.
    pub(crate) fn quantile(&self, quantile: f64, min: u64, max: u64) -> Option<u64> {
        let total: u64 = self.counts.iter().map(|(_, c)| c).sum();
        if total == 0 {
            return None;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        // The extremes are known exactly.
        if rank == total {
            return Some(max);
        }
        if rank == 1 {
            return Some(min);
        }
        let mut seen = 0;
        for &(index, count) in &self.counts {
            seen += count;
            if seen >= rank {
                let (low, high) = bucket_bounds(index);
                let mid = low + (high - low) / 2;
                return Some(mid.clamp(min, max.max(min)));
            }
        }
        Some(max)
    }

    /// The stored form: `bucket:count` pairs joined by commas, buckets ascending (the form
    /// the flush script merges).
    pub(crate) fn encode(&self) -> String {
        let mut text = String::with_capacity(self.counts.len() * 8);
        for (n, (index, count)) in self.counts.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            let _ = write!(text, "{index}:{count}");
        }
        text
    }

    /// Parses the stored form; `None` if it is not one.
    pub(crate) fn decode(text: &str) -> Option<Histogram> {
        let mut histogram = Histogram::default();
        for pair in text.split(',').filter(|p| !p.is_empty()) {
            let (index, count) = pair.split_once(':')?;
            histogram.add(index.parse().ok()?, count.parse().ok()?);
        }
        Some(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_inside_its_bucket_and_buckets_tile() {
        let mut values: Vec<u64> = (0..5000).collect();
        values.extend((0..64).map(|s| 1u64 << s));
        values.extend((1..64).map(|s| (1u64 << s) - 1));
        values.extend([u64::MAX, 123_456_789, 999_999_999_999]);
        for v in values {
            let (low, high) = bucket_bounds(bucket_index(v));
            assert!(
                low <= v && (v < high || high == u64::MAX),
                "{v}: [{low}, {high})"
            );
            // The bucket is narrow: at most an eighth of its lower bound (or one unit).
            assert!(high - low <= (low / SUB).max(1), "{v}");
        }
        for index in 0..bucket_index(u64::MAX) {
            assert_eq!(
                bucket_bounds(index).1,
                bucket_bounds(index + 1).0,
                "{index}"
            );
        }
    }

    #[test]
    fn quantiles_are_within_the_bucket_error() {
        // 1..=10_000 microseconds: the exact nearest-rank p50 is 5 ms, p99 9.9 ms.
        let mut histogram = Histogram::default();
        for us in 1..=10_000u64 {
            histogram.record(us * 1000);
        }
        for (q, exact) in [(0.5, 5_000_000u64), (0.9, 9_000_000), (0.99, 9_900_000)] {
            let estimate = histogram.quantile(q, 1000, 10_000_000).unwrap();
            let error = estimate.abs_diff(exact) as f64 / exact as f64;
            assert!(error <= 0.0625, "p{q}: {estimate} vs {exact}");
        }
        assert_eq!(histogram.quantile(1.0, 1000, 10_000_000), Some(10_000_000));
        assert_eq!(histogram.quantile(0.0, 1000, 10_000_000), Some(1000));
        assert_eq!(Histogram::default().quantile(0.5, 0, 0), None);
    }

    #[test]
    fn encoding_round_trips_and_merging_adds() {
        let mut a = Histogram::default();
        a.record(100);
        a.record(100);
        a.record(5_000_000);
        let mut b = Histogram::default();
        b.record(100);
        b.record(7);
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(Histogram::decode(&merged.encode()), Some(merged.clone()));
        assert_eq!(merged.counts.iter().map(|(_, c)| c).sum::<u64>(), 5);
        assert_eq!(Histogram::decode(""), Some(Histogram::default()));
        assert_eq!(Histogram::decode("1:x"), None);
    }
}
