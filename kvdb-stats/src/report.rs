//! What queries return: [`ServiceStats`], [`ServiceReport`], [`Ranking`]. All serialize
//! with serde; durations are integer nanoseconds (`_ns`), times Unix seconds.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::{Error, TimeRange};

/// One service's statistics over a time range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceStats {
    /// The service's name.
    pub service: String,
    /// How many calls.
    pub usage: u64,
    /// Their total time, exact.
    pub total_time_ns: u64,
    /// Total time over usage, exact (rounded to the nanosecond). 0 without calls.
    pub mean_ns: u64,
    /// The fastest call, exact. 0 without calls.
    pub min_ns: u64,
    /// The slowest call, exact. 0 without calls.
    pub max_ns: u64,
    /// The median, within 6.25 % (histogram buckets). 0 without calls.
    pub p50_ns: u64,
    /// The 90th percentile, within 6.25 %. 0 without calls.
    pub p90_ns: u64,
    /// The 99th percentile, within 6.25 %. 0 without calls.
    pub p99_ns: u64,
    /// Calls per second over the whole range.
    pub rate_per_sec: f64,
    /// This service's share of all services' usage in the range, in percent.
    pub usage_share_percent: f64,
    /// This service's share of all services' total time in the range, in percent.
    pub time_share_percent: f64,
}

impl ServiceStats {
    pub(crate) fn new(service: &str, aggregate: &Aggregate, seconds: u64, totals: &Totals) -> Self {
        let percent = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 * 100.0 / whole as f64
            }
        };
        ServiceStats {
            service: service.to_owned(),
            usage: aggregate.usage,
            total_time_ns: aggregate.total_ns,
            mean_ns: aggregate.mean(),
            min_ns: aggregate.min(),
            max_ns: aggregate.max_ns,
            p50_ns: aggregate.quantile(0.50),
            p90_ns: aggregate.quantile(0.90),
            p99_ns: aggregate.quantile(0.99),
            rate_per_sec: if seconds == 0 {
                0.0
            } else {
                aggregate.usage as f64 / seconds as f64
            },
            usage_share_percent: percent(aggregate.usage, totals.usage),
            time_share_percent: percent(aggregate.total_ns, totals.total_time_ns),
        }
    }
}

/// All services together over a range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Totals {
    /// How many calls of any service.
    pub usage: u64,
    /// Their total time.
    pub total_time_ns: u64,
}

/// One minute of a service's trend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrendPoint {
    /// The minute's start (Unix seconds).
    pub minute_start: u64,
    /// Calls in that minute.
    pub usage: u64,
    /// Their mean duration (total over usage). 0 without calls.
    pub mean_ns: u64,
}

/// One service over a range: see [`Stats::service`](crate::Stats::service).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceReport {
    /// The range covered: the range asked for, widened to whole minutes and cut at the end
    /// of the current minute. Rates are per second of this range.
    pub range: TimeRange,
    /// Parts of the range no longer kept at any level (their calls are not counted).
    pub uncovered: Vec<TimeRange>,
    /// The statistics.
    pub stats: ServiceStats,
    /// All services together, for the shares.
    pub totals: Totals,
    /// Per minute, for the last day of the range at most, and only for minutes still kept.
    pub trend: Vec<TrendPoint>,
    /// How many buckets were read (minutes at the edges, hours, days and months inside).
    pub buckets_read: usize,
}

/// What to rank services by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SortBy {
    /// Number of calls.
    #[default]
    Usage,
    /// Mean duration.
    Mean,
    /// Total time.
    TotalTime,
    /// 99th percentile.
    P99,
}

impl SortBy {
    /// Orders best-first: the larger value first, then by name.
    pub(crate) fn compare(self, a: &ServiceStats, b: &ServiceStats) -> Ordering {
        let key = |s: &ServiceStats| match self {
            SortBy::Usage => s.usage,
            SortBy::Mean => s.mean_ns,
            SortBy::TotalTime => s.total_time_ns,
            SortBy::P99 => s.p99_ns,
        };
        key(b).cmp(&key(a)).then_with(|| a.service.cmp(&b.service))
    }
}

impl FromStr for SortBy {
    type Err = Error;

    /// `usage`, `mean`, `time` (or `total_time`) and `p99`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "usage" => Ok(SortBy::Usage),
            "mean" => Ok(SortBy::Mean),
            "time" | "total_time" | "total-time" => Ok(SortBy::TotalTime),
            "p99" => Ok(SortBy::P99),
            _ => Err(Error::UnknownName {
                what: "sort key",
                name: text.to_owned(),
                expected: "usage, mean, time, p99",
            }),
        }
    }
}

impl fmt::Display for SortBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SortBy::Usage => "usage",
            SortBy::Mean => "mean",
            SortBy::TotalTime => "time",
            SortBy::P99 => "p99",
        })
    }
}

/// Services ranked over a range: see [`Stats::top`](crate::Stats::top) and
/// [`Stats::summary`](crate::Stats::summary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ranking {
    /// The range covered: the range asked for, widened to whole minutes and cut at the end
    /// of the current minute. Rates are per second of this range.
    pub range: TimeRange,
    /// Parts of the range no longer kept at any level.
    pub uncovered: Vec<TimeRange>,
    /// What the services are ranked by.
    pub by: SortBy,
    /// All services together.
    pub totals: Totals,
    /// How many services had calls in the range (the list may be cut shorter).
    pub services_seen: usize,
    /// The services, best first.
    pub services: Vec<ServiceStats>,
    /// How many buckets were read.
    pub buckets_read: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_parse_and_order() {
        assert_eq!("time".parse::<SortBy>().unwrap(), SortBy::TotalTime);
        assert!("speed"
            .parse::<SortBy>()
            .unwrap_err()
            .to_string()
            .contains("speed"));
        let a = ServiceStats {
            service: "a".into(),
            usage: 5,
            ..Default::default()
        };
        let b = ServiceStats {
            service: "b".into(),
            usage: 5,
            ..Default::default()
        };
        let c = ServiceStats {
            service: "c".into(),
            usage: 9,
            ..Default::default()
        };
        let mut all = vec![b.clone(), a.clone(), c.clone()];
        all.sort_by(|x, y| SortBy::Usage.compare(x, y));
        assert_eq!(all, vec![c, a, b]);
    }
}
