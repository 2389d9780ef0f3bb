//! [`Level`]: the bucket sizes statistics are kept at, and [`Period`]: the calendar periods
//! summaries are made for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::calendar::{civil_from_days, days_from_civil, month_of, month_start, DAY};
use crate::TimeRange;

/// A bucket size. Calls are recorded into minute buckets; [`Stats::rollup`](crate::Stats::rollup)
/// merges minutes into hours, hours into days and days into (calendar, UTC) months.
///
/// Bucket ids count buckets since the Unix epoch: minute `n` starts at `n * 60` seconds, month
/// `n` is the `n`-th month after January 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Level {
    /// One minute.
    Minute,
    /// One hour, rolled up from minutes.
    Hour,
    /// One day (UTC), rolled up from hours.
    Day,
    /// One calendar month (UTC), rolled up from days.
    Month,
}

impl Level {
    /// Every level, finest first.
    pub const ALL: [Level; 4] = [Level::Minute, Level::Hour, Level::Day, Level::Month];

    /// The level's name as it appears in keys and reports: `minute`, `hour`, `day`, `month`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Minute => "minute",
            Level::Hour => "hour",
            Level::Day => "day",
            Level::Month => "month",
        }
    }

    /// The next finer level, the one this level is rolled up from.
    pub fn finer(self) -> Option<Level> {
        match self {
            Level::Minute => None,
            Level::Hour => Some(Level::Minute),
            Level::Day => Some(Level::Hour),
            Level::Month => Some(Level::Day),
        }
    }

    /// The id of the bucket holding the Unix time `unix_secs`.
    pub fn bucket_of(self, unix_secs: u64) -> u64 {
        match self {
            Level::Minute => unix_secs / 60,
            Level::Hour => unix_secs / 3600,
            Level::Day => unix_secs / DAY,
            Level::Month => month_of(unix_secs),
        }
    }

    /// The Unix time (seconds) at which bucket `id` starts.
    pub fn start_of(self, id: u64) -> u64 {
        match self {
            Level::Minute => id.saturating_mul(60),
            Level::Hour => id.saturating_mul(3600),
            Level::Day => id.saturating_mul(DAY),
            Level::Month => month_start(id),
        }
    }

    /// The Unix time (seconds) at which bucket `id` ends (exclusive): the next bucket's start.
    pub fn end_of(self, id: u64) -> u64 {
        self.start_of(id.saturating_add(1))
    }

    /// The first bucket boundary at or after `unix_secs`.
    pub(crate) fn ceil(self, unix_secs: u64) -> u64 {
        let id = self.bucket_of(unix_secs);
        if self.start_of(id) == unix_secs {
            unix_secs
        } else {
            self.end_of(id)
        }
    }

    /// The last bucket boundary at or before `unix_secs`.
    pub(crate) fn floor(self, unix_secs: u64) -> u64 {
        self.start_of(self.bucket_of(unix_secs))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calendar period (UTC) for [`Stats::summary`](crate::Stats::summary). Weeks start on
/// Monday (ISO 8601).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Period {
    /// A day, 00:00 to 24:00 UTC.
    Day,
    /// A week, Monday 00:00 to the next Monday 00:00 UTC.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

impl Period {
    /// The period that holds the Unix time `unix_secs`.
    ///
    /// ```
    /// use kvdb_stats::Period;
    ///
    /// // 2024-02-29T12:00:00Z is in the week of Monday 2024-02-26.
    /// let week = Period::Week.containing(1_709_208_000);
    /// assert_eq!((week.start, week.end), (1_708_905_600, 1_708_905_600 + 7 * 86_400));
    /// ```
    pub fn containing(self, unix_secs: u64) -> TimeRange {
        let days = (unix_secs / DAY) as i64;
        let (start, end) = match self {
            Period::Day => {
                let start = Level::Day.floor(unix_secs);
                (start, start.saturating_add(DAY))
            }
            Period::Week => {
                // 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) mod 7.
                let monday = days - (days + 3).rem_euclid(7);
                let start = (monday.max(0) as u64).saturating_mul(DAY);
                (start, start.saturating_add(7 * DAY))
            }
            Period::Month => {
                let month = Level::Month.bucket_of(unix_secs);
                (Level::Month.start_of(month), Level::Month.end_of(month))
            }
            Period::Year => {
                let (year, _, _) = civil_from_days(days);
                let start = (days_from_civil(year, 1, 1).max(0) as u64).saturating_mul(DAY);
                let end = (days_from_civil(year + 1, 1, 1).max(0) as u64).saturating_mul(DAY);
                (start, end)
            }
        };
        TimeRange { start, end }
    }
}

impl FromStr for Period {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "year" => Ok(Period::Year),
            _ => Err(crate::Error::UnknownName {
                what: "period",
                name: text.to_owned(),
                expected: "day, week, month, year",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_line_up_with_their_starts() {
        let t = 1_709_208_123; // 2024-02-29T12:02:03Z
        for level in Level::ALL {
            let id = level.bucket_of(t);
            assert!(level.start_of(id) <= t && t < level.end_of(id), "{level}");
            assert_eq!(level.bucket_of(level.start_of(id)), id, "{level}");
            assert_eq!(level.floor(t), level.start_of(id));
            assert_eq!(level.ceil(t), level.end_of(id));
            assert_eq!(level.ceil(level.start_of(id)), level.start_of(id));
        }
    }

    #[test]
    fn periods() {
        let t = 1_709_208_123; // 2024-02-29T12:02:03Z, a Thursday
        let day = Period::Day.containing(t);
        assert_eq!((day.start, day.end), (1_709_164_800, 1_709_251_200));
        let month = Period::Month.containing(t);
        assert_eq!((month.start, month.end), (1_706_745_600, 1_709_251_200));
        let year = Period::Year.containing(t);
        assert_eq!((year.start, year.end), (1_704_067_200, 1_735_689_600));
        let week = Period::Week.containing(t);
        assert_eq!(week.start, 1_708_905_600); // Monday 2024-02-26
        assert_eq!(Period::Week.containing(week.start).start, week.start);
        assert_eq!(Period::Week.containing(week.start - 1).end, week.start);
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        for period in [Period::Day, Period::Week, Period::Month, Period::Year] {
            let range = period.containing(u64::MAX);
            assert!(range.start <= range.end, "{period:?}");
            assert_eq!(period.containing(0).start, 0);
        }
        for level in Level::ALL {
            assert!(
                level.end_of(level.bucket_of(u64::MAX))
                    >= level.start_of(level.bucket_of(u64::MAX))
            );
        }
        let range = TimeRange::new(u64::MAX - 5, u64::MAX).to_minutes();
        assert!(range.start <= range.end);
    }

    #[test]
    fn period_names_parse() {
        assert_eq!("Week".parse::<Period>().unwrap(), Period::Week);
        let err = "fortnight".parse::<Period>().unwrap_err().to_string();
        assert!(err.contains("fortnight"), "{err}");
    }
}
