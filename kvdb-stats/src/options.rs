//! [`StatsOptions`] and [`Retention`]: how statistics are recorded, rolled up and kept.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::{Clock, Error, Level, Result, SystemClock};

const DAY: Duration = Duration::from_secs(86_400);

/// How long each level's buckets are kept, counted from the end of the bucket, and how long
/// slow-call lists are kept after their last write. Enforced with key expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Minute buckets. Default 2 days. The rollup job reads minutes, so this must outlast the
    /// longest pause between rollups.
    pub minute: Duration,
    /// Hour buckets. Default 35 days.
    pub hour: Duration,
    /// Day buckets. Default 400 days.
    pub day: Duration,
    /// Month buckets. Default 5 years (1,830 days).
    pub month: Duration,
    /// Slow-call lists. Default 7 days after the last slow call.
    pub slow_calls: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            minute: DAY * 2,
            hour: DAY * 35,
            day: DAY * 400,
            month: DAY * 1830,
            slow_calls: DAY * 7,
        }
    }
}

impl Retention {
    /// Sets the retention of minute buckets.
    pub fn minute(mut self, keep: Duration) -> Self {
        self.minute = keep;
        self
    }

    /// Sets the retention of hour buckets.
    pub fn hour(mut self, keep: Duration) -> Self {
        self.hour = keep;
        self
    }

    /// Sets the retention of day buckets.
    pub fn day(mut self, keep: Duration) -> Self {
        self.day = keep;
        self
    }

    /// Sets the retention of month buckets.
    pub fn month(mut self, keep: Duration) -> Self {
        self.month = keep;
        self
    }

    /// Sets how long slow-call lists are kept after their last write.
    pub fn slow_calls(mut self, keep: Duration) -> Self {
        self.slow_calls = keep;
        self
    }

    /// The retention of one level.
    pub fn of(&self, level: Level) -> Duration {
        match level {
            Level::Minute => self.minute,
            Level::Hour => self.hour,
            Level::Day => self.day,
            Level::Month => self.month,
        }
    }
}

/// How a [`Stats`](crate::Stats) records, flushes, rolls up and keeps statistics. Start from
/// `StatsOptions::default()`:
///
/// ```
/// use std::time::Duration;
/// use kvdb_stats::{Retention, StatsOptions};
///
/// let options = StatsOptions::default()
///     .flush_interval(Duration::from_millis(500))
///     .slow_threshold(Duration::from_millis(200))
///     .service_slow_threshold("billing.invoice", Duration::from_secs(2))
///     .retention(Retention::default().minute(Duration::from_secs(3 * 86_400)));
/// assert_eq!(options.slow_threshold_of("billing.invoice"), Duration::from_secs(2));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StatsOptions {
    /// How often the background task started by [`Stats::start`](crate::Stats::start) flushes.
    /// Default 1 s.
    pub flush_interval: Duration,
    /// How often that task also runs the rollup job; `None` (the default) leaves the rollup
    /// to the application ([`Stats::rollup`](crate::Stats::rollup)).
    pub rollup_interval: Option<Duration>,
    /// How long after a bucket ends the rollup job waits before rolling it up, so flushes of
    /// its last calls arrive first. Default 2 minutes. Calls flushed later still count: see
    /// [`Stats::rollup`](crate::Stats::rollup).
    pub rollup_delay: Duration,
    /// Calls at least this slow are kept in the service's slow-call list. Default 1 s.
    pub slow_threshold: Duration,
    /// Per-service slow thresholds that override `slow_threshold`.
    pub service_slow_thresholds: HashMap<String, Duration>,
    /// How many of the most recent slow calls each service keeps. Default 100.
    pub slow_calls_kept: usize,
    /// The longest request or response sample kept with a slow call, in bytes. Default 1,024.
    pub sample_max_bytes: usize,
    /// How long each level is kept.
    pub retention: Retention,
    /// At most this many services go into one flush script call (one pipeline holds as many
    /// calls as needed), so one call never blocks Redis for long. Default 200.
    pub services_per_script_call: usize,
    /// Where the time comes from. Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            flush_interval: Duration::from_secs(1),
            rollup_interval: None,
            rollup_delay: Duration::from_secs(120),
            slow_threshold: Duration::from_secs(1),
            service_slow_thresholds: HashMap::new(),
            slow_calls_kept: 100,
            sample_max_bytes: 1024,
            retention: Retention::default(),
            services_per_script_call: 200,
            clock: Arc::new(SystemClock),
        }
    }
}

impl StatsOptions {
    /// Sets how often the background task flushes.
    pub fn flush_interval(mut self, every: Duration) -> Self {
        self.flush_interval = every;
        self
    }

    /// Makes the background task run the rollup job this often.
    pub fn rollup_interval(mut self, every: Duration) -> Self {
        self.rollup_interval = Some(every);
        self
    }

    /// Sets how long after a bucket ends the rollup job waits.
    pub fn rollup_delay(mut self, delay: Duration) -> Self {
        self.rollup_delay = delay;
        self
    }

    /// Sets the default slow threshold.
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = threshold;
        self
    }

    /// Sets the slow threshold of one service.
    pub fn service_slow_threshold(mut self, service: &str, threshold: Duration) -> Self {
        self.service_slow_thresholds
            .insert(service.to_owned(), threshold);
        self
    }

    /// Sets how many recent slow calls each service keeps.
    pub fn slow_calls_kept(mut self, count: usize) -> Self {
        self.slow_calls_kept = count;
        self
    }

    /// Sets the longest request/response sample kept with a slow call.
    pub fn sample_max_bytes(mut self, bytes: usize) -> Self {
        self.sample_max_bytes = bytes;
        self
    }

    /// Sets the retention of every level.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Sets how many services go into one flush script call.
    pub fn services_per_script_call(mut self, count: usize) -> Self {
        self.services_per_script_call = count;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The slow threshold that applies to `service`.
    pub fn slow_threshold_of(&self, service: &str) -> Duration {
        self.service_slow_thresholds
            .get(service)
            .copied()
            .unwrap_or(self.slow_threshold)
    }

    /// Refuses options that cannot work.
    pub(crate) fn validate(&self) -> Result<()> {
        let fail = |reason: String| Err(Error::InvalidOptions(reason));
        if self.flush_interval.is_zero() {
            return fail("flush_interval must be longer than zero".into());
        }
        if self.rollup_interval.is_some_and(|d| d.is_zero()) {
            return fail("rollup_interval must be longer than zero".into());
        }
        if self.services_per_script_call == 0 {
            return fail("services_per_script_call must be at least 1".into());
        }
        // The rollup of an hour reads its minutes `rollup_delay` after the hour ends.
        let needed = Duration::from_secs(3600) + self.rollup_delay;
        if self.retention.minute < needed {
            return fail(format!(
                "minute retention {:?} is shorter than one hour plus the rollup delay ({needed:?}): minutes would expire before they are rolled up",
                self.retention.minute
            ));
        }
        for level in [Level::Hour, Level::Day] {
            let coarser = match level {
                Level::Hour => Level::Day,
                _ => Level::Month,
            };
            let span = Duration::from_secs(if level == Level::Hour {
                86_400
            } else {
                31 * 86_400
            });
            if self.retention.of(level) < span + self.rollup_delay {
                return fail(format!(
                    "{level} retention {:?} is shorter than a {coarser} plus the rollup delay: {level}s would expire before they are rolled up",
                    self.retention.of(level)
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        StatsOptions::default().validate().unwrap();
    }

    #[test]
    fn bad_options_are_named() {
        let zero = StatsOptions::default().flush_interval(Duration::ZERO);
        assert!(zero
            .validate()
            .unwrap_err()
            .to_string()
            .contains("flush_interval"));
        let short = StatsOptions::default().retention(Retention::default().minute(DAY / 48));
        assert!(short
            .validate()
            .unwrap_err()
            .to_string()
            .contains("minute retention"));
        let hours = StatsOptions::default().retention(Retention::default().hour(DAY / 2));
        assert!(hours
            .validate()
            .unwrap_err()
            .to_string()
            .contains("hour retention"));
    }
}
