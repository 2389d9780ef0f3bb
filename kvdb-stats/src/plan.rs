//! Range decomposition: which buckets answer a query over a time range.
//!
//! A range is covered with the coarsest buckets that fit inside it exactly and are
//! available (rolled up already and not yet expired): months in the middle, then days, then
//! hours, and minutes at the edges. Everything here is pure, so it is tested without Redis.

use crate::{Level, Retention, TimeRange};

/// Which buckets of each level can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Availability {
    /// The oldest minute still retained; every later minute can be read.
    pub(crate) oldest_minute: u64,
    /// Hour, day and month buckets that are rolled up and retained: inclusive id ranges.
    pub(crate) rolled: [Option<(u64, u64)>; 3],
}

impl Availability {
    /// What can be read at `now`, given the retention of each level and the last bucket of
    /// each level that the rollup job completed (its watermark).
    pub(crate) fn at(now: u64, retention: &Retention, watermarks: [Option<u64>; 3]) -> Self {
        let oldest =
            |level: Level| level.bucket_of(now.saturating_sub(retention.of(level).as_secs()));
        let mut rolled = [None; 3];
        for (slot, (level, mark)) in rolled.iter_mut().zip(
            [Level::Hour, Level::Day, Level::Month]
                .into_iter()
                .zip(watermarks),
        ) {
            *slot = mark
                .map(|last| (oldest(level), last))
                .filter(|(first, last)| first <= last);
        }
        Availability {
            oldest_minute: oldest(Level::Minute),
            rolled,
        }
    }

    /// The oldest time (Unix seconds) any level can still answer for.
    pub(crate) fn oldest_time(&self) -> u64 {
        let mut oldest = Level::Minute.start_of(self.oldest_minute);
        for (level, rolled) in [Level::Hour, Level::Day, Level::Month]
            .into_iter()
            .zip(self.rolled)
        {
            if let Some((first, _)) = rolled {
                oldest = oldest.min(level.start_of(first));
            }
        }
        oldest
    }

    fn rolled(&self, level: Level) -> Option<(u64, u64)> {
        match level {
            Level::Minute => Some((self.oldest_minute, u64::MAX)),
            Level::Hour => self.rolled[0],
            Level::Day => self.rolled[1],
            Level::Month => self.rolled[2],
        }
    }
}

/// The buckets that answer a query, and what of the range no bucket can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The query's range, widened to whole minutes.
    pub(crate) range: TimeRange,
    /// The buckets to read, in time order.
    pub(crate) buckets: Vec<(Level, u64)>,
    /// Parts of the range that are beyond every level's retention, in time order.
    pub(crate) uncovered: Vec<TimeRange>,
}

impl Plan {
    /// Whether no part of a non-empty range can be answered.
    pub(crate) fn covers_nothing(&self) -> bool {
        !self.range.is_empty() && self.buckets.is_empty() && !self.uncovered.is_empty()
    }
}

/// Decomposes `range` (widened to whole minutes) into the coarsest available buckets.
pub(crate) fn plan(range: TimeRange, available: &Availability) -> Plan {
    let range = range.to_minutes();
    let mut plan = Plan {
        range,
        buckets: Vec::new(),
        uncovered: Vec::new(),
    };
    cover(range.start, range.end, Level::Month, available, &mut plan);
    plan
}

fn cover(start: u64, end: u64, level: Level, available: &Availability, plan: &mut Plan) {
    if start >= end {
        return;
    }
    let Some(finer) = level.finer() else {
        let first = Level::Minute.start_of(available.oldest_minute);
        if start < first {
            uncovered(plan, start, end.min(first));
        }
        push_buckets(plan, Level::Minute, start.max(first), end);
        return;
    };
    if let Some((oldest, last)) = available.rolled(level) {
        let inner_start = level.ceil(start).max(level.start_of(oldest));
        let inner_end = level.floor(end).min(level.end_of(last));
        if inner_start < inner_end {
            cover(start, inner_start, finer, available, plan);
            push_buckets(plan, level, inner_start, inner_end);
            cover(inner_end, end, finer, available, plan);
            return;
        }
    }
    cover(start, end, finer, available, plan);
}

/// Adds the buckets of `level` that tile `[start, end)` (both on the level's boundaries).
fn push_buckets(plan: &mut Plan, level: Level, start: u64, end: u64) {
    if start >= end {
        return;
    }
    let first = level.bucket_of(start);
    let last = level.bucket_of(end - 1);
    plan.buckets.extend((first..=last).map(|id| (level, id)));
}

fn uncovered(plan: &mut Plan, start: u64, end: u64) {
    match plan.uncovered.last_mut() {
        Some(last) if last.end == start => last.end = end,
        _ => plan.uncovered.push(TimeRange::new(start, end)),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const H: u64 = 3600;
    const D: u64 = 86_400;

    /// Everything retained and rolled up to (not including) `rolled_until`.
    fn rolled_until(rolled_until: u64) -> Availability {
        let last = |level: Level| Some((0, level.bucket_of(rolled_until) - 1));
        Availability {
            oldest_minute: 0,
            rolled: [last(Level::Hour), last(Level::Day), last(Level::Month)],
        }
    }

    fn seconds_covered(plan: &Plan) -> u64 {
        let buckets: u64 = plan
            .buckets
            .iter()
            .map(|(level, id)| level.end_of(*id) - level.start_of(*id))
            .sum();
        buckets + plan.uncovered.iter().map(TimeRange::seconds).sum::<u64>()
    }

    fn count(plan: &Plan, level: Level) -> usize {
        plan.buckets.iter().filter(|(l, _)| *l == level).count()
    }

    #[test]
    fn a_range_inside_one_hour_is_minutes() {
        let day = 19_782 * D;
        let plan = plan(
            TimeRange::new(day + 60, day + 600),
            &rolled_until(day + 10 * D),
        );
        assert_eq!(plan.buckets.len(), 9);
        assert!(plan.buckets.iter().all(|(l, _)| *l == Level::Minute));
    }

    #[test]
    fn edges_are_minutes_and_the_inside_hours_and_days() {
        let day = 19_782 * D; // 2024-02-29
        let range = TimeRange::new(day - 2 * H - 30 * 60, day + D + 3 * H + 15 * 60);
        let plan = plan(range, &rolled_until(day + 10 * D));
        assert_eq!(count(&plan, Level::Minute), 30 + 15);
        assert_eq!(count(&plan, Level::Hour), 2 + 3);
        assert_eq!(count(&plan, Level::Day), 1);
        assert_eq!(count(&plan, Level::Month), 0);
        assert_eq!(seconds_covered(&plan), range.seconds());
        assert!(plan.uncovered.is_empty());
        // In time order, without overlap.
        let mut at = range.start;
        for (level, id) in &plan.buckets {
            assert_eq!(level.start_of(*id), at);
            at = level.end_of(*id);
        }
        assert_eq!(at, range.end);
    }

    #[test]
    fn whole_months_are_read_as_months() {
        let jan = Level::Month.start_of((2024 - 1970) * 12);
        let apr = Level::Month.start_of((2024 - 1970) * 12 + 3);
        let range = TimeRange::new(jan - D, apr + H);
        let plan = plan(range, &rolled_until(apr + 40 * D));
        assert_eq!(count(&plan, Level::Month), 3);
        assert_eq!(count(&plan, Level::Day), 1);
        assert_eq!(count(&plan, Level::Hour), 1);
        assert_eq!(seconds_covered(&plan), range.seconds());
    }

    #[test]
    fn buckets_not_rolled_up_yet_are_read_at_a_finer_level() {
        let day = 19_782 * D;
        // Hours rolled up to day + 5h, days not at all.
        let available = Availability {
            oldest_minute: 0,
            rolled: [
                Some((0, Level::Hour.bucket_of(day + 5 * H) - 1)),
                None,
                None,
            ],
        };
        let plan = plan(TimeRange::new(day, day + 8 * H), &available);
        assert_eq!(count(&plan, Level::Hour), 5);
        assert_eq!(count(&plan, Level::Minute), 3 * 60);
        assert_eq!(count(&plan, Level::Day), 0);
    }

    #[test]
    fn expired_minutes_at_the_start_are_reported_uncovered() {
        let now = 19_782 * D + 12 * H;
        let retention = Retention::default()
            .minute(Duration::from_secs(2 * D))
            .hour(Duration::from_secs(35 * D));
        let marks = [
            Some(Level::Hour.bucket_of(now) - 1),
            Some(Level::Day.bucket_of(now) - 1),
            None,
        ];
        let available = Availability::at(now, &retention, marks);
        // Thirty days back, starting 20 minutes into an hour: those 40 minutes are gone.
        let start = now - 30 * D + 20 * 60;
        let plan = plan(TimeRange::new(start, now), &available);
        assert_eq!(plan.uncovered, vec![TimeRange::new(start, start + 40 * 60)]);
        assert_eq!(seconds_covered(&plan), now - start);
        assert!(!plan.covers_nothing());
    }

    #[test]
    fn a_range_older_than_every_retention_covers_nothing() {
        let now = 19_782 * D;
        let available = Availability::at(now, &Retention::default(), [None, None, None]);
        let plan = plan(TimeRange::new(now - 30 * D, now - 29 * D), &available);
        assert!(plan.covers_nothing());
        assert_eq!(plan.uncovered.len(), 1);
    }

    #[test]
    fn an_empty_range_reads_nothing() {
        let plan = plan(TimeRange::new(600, 600), &rolled_until(100 * D));
        assert!(plan.buckets.is_empty() && plan.uncovered.is_empty());
        assert!(!plan.covers_nothing());
    }
}
