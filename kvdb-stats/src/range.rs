//! [`TimeRange`]: the span of time a query covers.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A half-open span of time `[start, end)` in Unix seconds (UTC).
///
/// Statistics are kept per minute, so queries widen a range to whole minutes (start rounded
/// down, end rounded up) and report the range they actually covered.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use kvdb_stats::TimeRange;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
/// let range = TimeRange::last(Duration::from_secs(3600), now);
/// assert_eq!((range.start, range.end), (996_400, 1_000_000));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TimeRange {
    /// The first second in the range (Unix time).
    pub start: u64,
    /// The first second after the range (Unix time).
    pub end: u64,
}

impl TimeRange {
    /// The range `[start, end)` in Unix seconds. A reversed range is refused by queries, not
    /// here.
    pub fn new(start: u64, end: u64) -> TimeRange {
        TimeRange { start, end }
    }

    /// The range between two instants (sub-second parts dropped).
    pub fn between(start: SystemTime, end: SystemTime) -> TimeRange {
        TimeRange::new(unix_secs(start), unix_secs(end))
    }

    /// The `length` of time up to `now`.
    pub fn last(length: Duration, now: SystemTime) -> TimeRange {
        let end = unix_secs(now);
        TimeRange::new(end.saturating_sub(length.as_secs()), end)
    }

    /// The length of the range in seconds (0 for an empty or reversed range).
    pub fn seconds(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no time at all.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The range widened to whole minutes.
    pub(crate) fn to_minutes(self) -> TimeRange {
        TimeRange::new(
            self.start / 60 * 60,
            self.end.div_ceil(60).saturating_mul(60),
        )
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

/// Seconds since the Unix epoch; times before it count as 0.
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch; times before it count as 0.
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_widen_outwards() {
        let range = TimeRange::new(61, 121).to_minutes();
        assert_eq!((range.start, range.end), (60, 180));
        let aligned = TimeRange::new(60, 120).to_minutes();
        assert_eq!((aligned.start, aligned.end), (60, 120));
    }

    #[test]
    fn before_the_epoch_is_zero() {
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(
            TimeRange::last(Duration::from_secs(10), UNIX_EPOCH).start,
            0
        );
    }
}
