//! Queries: one service over a range, services ranked over a range, slow calls.
//!
//! Each query is two round trips: the rollup watermarks (to know which coarse buckets exist),
//! then one pipeline reading the buckets that [`plan`](crate::plan) chose.

use std::collections::HashMap;

use kvdb_core::{KvStore, KvStoreExt, Pipeline};

use crate::aggregate::{Aggregate, Bucket, ALL_TIME, ALL_USAGE};
use crate::keys::Keys;
use crate::plan::{plan, Availability, Plan};
use crate::report::{Ranking, ServiceReport, ServiceStats, SortBy, Totals, TrendPoint};
use crate::rollup::read_marks;
use crate::{Error, Level, Result, SlowCall, StatsOptions, TimeRange};

/// The longest per-minute trend a service report carries: one day.
const TREND_MINUTES: u64 = 1440;

/// What a query needs besides its arguments.
pub(crate) struct Reader<'a> {
    pub(crate) store: &'a dyn KvStore,
    pub(crate) keys: &'a Keys,
    pub(crate) options: &'a StatsOptions,
    /// Unix seconds.
    pub(crate) now: u64,
}

impl Reader<'_> {
    async fn plan(&self, range: TimeRange) -> Result<(Plan, Availability)> {
        if range.end < range.start {
            return Err(Error::ReversedRange { range });
        }
        // Nothing is recorded after the current minute: don't read empty buckets there.
        let until = Level::Minute.end_of(Level::Minute.bucket_of(self.now));
        let range = TimeRange::new(range.start.min(until), range.end.min(until));
        let marks = read_marks(self.store, self.keys).await?;
        let available = Availability::at(self.now, &self.options.retention, marks);
        let plan = plan(range, &available);
        if plan.covers_nothing() {
            return Err(Error::BeyondRetention {
                range: plan.range,
                oldest: available.oldest_time(),
            });
        }
        Ok((plan, available))
    }

    /// One service over `range`.
    pub(crate) async fn service(&self, service: &str, range: TimeRange) -> Result<ServiceReport> {
        if service.is_empty() {
            return Err(Error::EmptyServiceName);
        }
        let (plan, available) = self.plan(range).await?;
        let fields = ["u", "t", "n", "x", "h"].map(|kind| format!("{kind}:{service}"));
        let mut pipe = Pipeline::new();
        for (level, id) in &plan.buckets {
            pipe.cmd("HMGET")
                .arg(self.keys.data(*level, *id))
                .arg(&fields)
                .arg(ALL_USAGE)
                .arg(ALL_TIME);
        }
        let trend_start = plan
            .range
            .start
            .max(Level::Minute.start_of(available.oldest_minute))
            .max(plan.range.end.saturating_sub(TREND_MINUTES * 60));
        let trend_minutes: Vec<u64> = if trend_start < plan.range.end {
            (Level::Minute.bucket_of(trend_start)..Level::Minute.bucket_of(plan.range.end))
                .collect()
        } else {
            Vec::new()
        };
        for minute in &trend_minutes {
            pipe.cmd("HMGET")
                .arg(self.keys.data(Level::Minute, *minute))
                .arg(&fields[..2]);
        }
        let replies: Vec<Vec<Option<String>>> = if pipe.is_empty() {
            Vec::new()
        } else {
            pipe.query(self.store).await?
        };
        let (bucket_replies, trend_replies) =
            replies.split_at(plan.buckets.len().min(replies.len()));

        let mut aggregate = Aggregate::default();
        let mut totals = Totals::default();
        for ((level, id), values) in plan.buckets.iter().zip(bucket_replies) {
            let value = |i: usize| values.get(i).and_then(Option::as_deref);
            let key = || self.keys.data(*level, *id);
            let bucket = Aggregate::from_values([value(0), value(1), value(2), value(3), value(4)])
                .map_err(|what| {
                    malformed(key(), format!("the {what} of {service:?} is malformed"))
                })?;
            aggregate.merge(&bucket);
            totals.usage += number(value(5)).map_err(|r| malformed(key(), r))?;
            totals.total_time_ns = totals
                .total_time_ns
                .saturating_add(number(value(6)).map_err(|r| malformed(key(), r))?);
        }
        let mut trend = Vec::with_capacity(trend_minutes.len());
        for (minute, values) in trend_minutes.iter().zip(trend_replies) {
            let value = |i: usize| values.get(i).and_then(Option::as_deref);
            let key = || self.keys.data(Level::Minute, *minute);
            let usage = number(value(0)).map_err(|r| malformed(key(), r))?;
            let total = number(value(1)).map_err(|r| malformed(key(), r))?;
            trend.push(TrendPoint {
                minute_start: Level::Minute.start_of(*minute),
                usage,
                mean_ns: (total + usage / 2).checked_div(usage).unwrap_or(0),
            });
        }
        Ok(ServiceReport {
            range: plan.range,
            stats: ServiceStats::new(service, &aggregate, plan.range.seconds(), &totals),
            uncovered: plan.uncovered,
            totals,
            trend,
            buckets_read: plan.buckets.len(),
        })
    }

    /// The first `limit` services over `range`, ranked `by`.
    pub(crate) async fn top(&self, range: TimeRange, by: SortBy, limit: usize) -> Result<Ranking> {
        let (plan, _) = self.plan(range).await?;
        let mut pipe = Pipeline::new();
        for (level, id) in &plan.buckets {
            pipe.hgetall(self.keys.data(*level, *id));
        }
        let hashes: Vec<HashMap<String, String>> = if pipe.is_empty() {
            Vec::new()
        } else {
            pipe.query(self.store).await?
        };
        let mut merged = Bucket::default();
        for ((level, id), hash) in plan.buckets.iter().zip(&hashes) {
            merged
                .absorb(hash)
                .map_err(|reason| malformed(self.keys.data(*level, *id), reason))?;
        }
        let totals = Totals {
            usage: merged.all_usage,
            total_time_ns: merged.all_time_ns,
        };
        let seconds = plan.range.seconds();
        let mut services: Vec<ServiceStats> = merged
            .services
            .iter()
            .map(|(name, aggregate)| ServiceStats::new(name, aggregate, seconds, &totals))
            .collect();
        let services_seen = services.len();
        services.sort_by(|a, b| by.compare(a, b));
        services.truncate(limit);
        Ok(Ranking {
            range: plan.range,
            uncovered: plan.uncovered,
            by,
            totals,
            services_seen,
            services,
            buckets_read: plan.buckets.len(),
        })
    }

    /// The most recent slow calls of `service`, newest first, at most `limit`.
    pub(crate) async fn slow_calls(&self, service: &str, limit: usize) -> Result<Vec<SlowCall>> {
        if service.is_empty() {
            return Err(Error::EmptyServiceName);
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = self.keys.slow_calls(service);
        let stop = isize::try_from(limit).map_or(-1, |limit| limit - 1);
        let entries: Vec<String> = self.store.lrange(&key, 0, stop).await?;
        entries
            .iter()
            .map(|entry| {
                serde_json::from_str(entry).map_err(|err| {
                    malformed(key.clone(), format!("a slow call is not valid: {err}"))
                })
            })
            .collect()
    }
}

fn number(value: Option<&str>) -> Result<u64, String> {
    value.map_or(Ok(0), |text| {
        text.parse()
            .map_err(|_| format!("{text:?} is not a number"))
    })
}

fn malformed(key: String, reason: String) -> Error {
    Error::Malformed { key, reason }
}
