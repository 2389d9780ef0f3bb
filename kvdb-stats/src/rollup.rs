//! The rollup job: minutes into hours, hours into days, days into months.
//!
//! A bucket is rolled up by reading all its finer buckets, merging them (exact) and
//! *overwriting* the coarser bucket in one MULTI/EXEC. Recomputing and overwriting is
//! idempotent, so several processes may run the job at once: they write the same result.
//! Per level a watermark (the last bucket rolled up) only moves forward (a script keeps the
//! larger value), so each bucket is normally rolled up once, `rollup_delay` after it ends.
//!
//! Calls flushed after their hour was rolled up (a process that could not reach Redis for a
//! while) are not lost: the flush adds the hour to the late set, and the next run rolls that
//! hour up again, and its day and month if those were rolled up already. An entry is removed
//! only if no new late flush arrived while it was being handled.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use kvdb_core::{KvStore, KvStoreExt, Pipeline, Script};
use serde::{Deserialize, Serialize};

use crate::aggregate::Bucket;
use crate::keys::Keys;
use crate::{Error, Level, Result, StatsOptions};

/// The coarser levels, in rollup order; their index is their watermark's slot.
pub(crate) const ROLLED: [Level; 3] = [Level::Hour, Level::Day, Level::Month];

static RAISE_MARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1') \
         if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end \
         return 0",
    )
});

static CLEAR_LATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local removed = 0 \
         for i = 1, #ARGV, 2 do \
           local score = redis.call('ZSCORE', KEYS[1], ARGV[i]) \
           if score and tonumber(score) == tonumber(ARGV[i + 1]) then \
             removed = removed + redis.call('ZREM', KEYS[1], ARGV[i]) \
           end \
         end \
         return removed",
    )
});

/// What one run of [`Stats::rollup`](crate::Stats::rollup) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RollupReport {
    /// Hour buckets written.
    pub hours: usize,
    /// Day buckets written.
    pub days: usize,
    /// Month buckets written.
    pub months: usize,
    /// Late hours rolled up again (their days and months are counted above).
    pub late_hours: usize,
    /// The watermarks after the run: the last hour, day and month rolled up.
    pub watermarks: [Option<u64>; 3],
}

impl RollupReport {
    fn count(&mut self, level: Level) {
        match level {
            Level::Hour => self.hours += 1,
            Level::Day => self.days += 1,
            Level::Month => self.months += 1,
            Level::Minute => {}
        }
    }
}

/// Reads the watermarks: the last hour, day and month rolled up.
pub(crate) async fn read_marks(store: &dyn KvStore, keys: &Keys) -> Result<[Option<u64>; 3]> {
    let mut cmd = redis::cmd("HMGET");
    cmd.arg(keys.marks());
    for level in ROLLED {
        cmd.arg(level.name());
    }
    let values: Vec<Option<String>> = store.query(&cmd).await?;
    let mut marks = [None; 3];
    for (mark, value) in marks.iter_mut().zip(values) {
        *mark = value
            .map(|v| v.parse::<u64>().map_err(|_| malformed(keys.marks(), &v)))
            .transpose()?;
    }
    Ok(marks)
}

fn malformed(key: String, value: &str) -> Error {
    Error::Malformed {
        key,
        reason: format!("{value:?} is not a bucket id"),
    }
}

/// Runs the rollup job at `now` (Unix seconds).
pub(crate) async fn rollup(
    store: &dyn KvStore,
    keys: &Keys,
    options: &StatsOptions,
    now: u64,
) -> Result<RollupReport> {
    let mut marks = read_marks(store, keys).await?;
    let mut report = RollupReport::default();
    let ready_until = now.saturating_sub(options.rollup_delay.as_secs());
    for (slot, level) in ROLLED.into_iter().enumerate() {
        let source = level.finer().unwrap_or(Level::Minute);
        // Older buckets' sources have expired: nothing to roll up there.
        let oldest = level.bucket_of(now.saturating_sub(options.retention.of(source).as_secs()));
        let first = marks[slot].map_or(oldest, |mark| (mark + 1).max(oldest));
        let mut end = level.bucket_of(ready_until);
        if slot > 0 {
            end = match marks[slot - 1] {
                Some(source_mark) => end.min(level.bucket_of(source.end_of(source_mark))),
                None => first,
            };
        }
        for id in first..end {
            if recompute(store, keys, options, level, id).await? {
                report.count(level);
            }
        }
        if end > first {
            let last = end - 1;
            let _: i64 = RAISE_MARK
                .invoke(store, &[keys.marks()], &[level.name().to_owned(), last.to_string()])
                .await?;
            marks[slot] = Some(marks[slot].map_or(last, |mark| mark.max(last)));
        }
    }
    redo_late_hours(store, keys, options, now, &marks, &mut report).await?;
    report.watermarks = marks;
    Ok(report)
}

/// Rolls up again the hours (and their days and months) that got late calls.
async fn redo_late_hours(
    store: &dyn KvStore,
    keys: &Keys,
    options: &StatsOptions,
    now: u64,
    marks: &[Option<u64>; 3],
    report: &mut RollupReport,
) -> Result<()> {
    let flat: Vec<String> = store
        .query(redis::cmd("ZRANGE").arg(keys.late()).arg(0).arg(-1).arg("WITHSCORES"))
        .await?;
    if flat.is_empty() {
        return Ok(());
    }
    let rolled = |slot: usize, id: u64| marks[slot].is_some_and(|mark| id <= mark);
    // A bucket whose sources have partly expired is left as it is rather than shrunk.
    let sources_kept = |level: Level, id: u64| {
        let source = level.finer().unwrap_or(Level::Minute);
        level.start_of(id) >= now.saturating_sub(options.retention.of(source).as_secs())
    };
    let mut seen = Vec::new();
    let mut days = BTreeSet::new();
    for pair in flat.chunks(2) {
        let [member, score] = pair else { continue };
        seen.push(member.clone());
        seen.push(score.clone());
        let hour: u64 = member.parse().map_err(|_| malformed(keys.late(), member))?;
        if rolled(0, hour) && sources_kept(Level::Hour, hour) {
            recompute(store, keys, options, Level::Hour, hour).await?;
            report.late_hours += 1;
            days.insert(Level::Day.bucket_of(Level::Hour.start_of(hour)));
        }
    }
    let mut months = BTreeSet::new();
    for day in days {
        if rolled(1, day) && sources_kept(Level::Day, day) {
            if recompute(store, keys, options, Level::Day, day).await? {
                report.count(Level::Day);
            }
            months.insert(Level::Month.bucket_of(Level::Day.start_of(day)));
        }
    }
    for month in months {
        if rolled(2, month) && sources_kept(Level::Month, month) && recompute(store, keys, options, Level::Month, month).await? {
            report.count(Level::Month);
        }
    }
    let _: i64 = CLEAR_LATE.invoke(store, &[keys.late()], &seen).await?;
    Ok(())
}

/// Rolls up one bucket from its finer buckets; `false` if they hold nothing (then the
/// bucket is left alone).
async fn recompute(
    store: &dyn KvStore,
    keys: &Keys,
    options: &StatsOptions,
    level: Level,
    id: u64,
) -> Result<bool> {
    let source = level.finer().unwrap_or(Level::Minute);
    let first = source.bucket_of(level.start_of(id));
    let end = source.bucket_of(level.end_of(id));
    let mut read = Pipeline::new();
    for source_id in first..end {
        read.hgetall(keys.data(source, source_id));
    }
    let hashes: Vec<HashMap<String, String>> = read.query(store).await?;
    let mut merged = Bucket::default();
    for (source_id, hash) in (first..end).zip(&hashes) {
        let bucket = Bucket::from_hash(hash).map_err(|reason| Error::Malformed {
            key: keys.data(source, source_id),
            reason,
        })?;
        merged.merge(&bucket);
    }
    if merged.services.is_empty() {
        return Ok(false);
    }
    let key = keys.data(level, id);
    let expire_at_ms =
        (level.end_of(id) + options.retention.of(level).as_secs()).saturating_mul(1000);
    let mut write = Pipeline::new();
    write
        .atomic()
        .del(&key)
        .ignore()
        .hset_multiple(&key, &merged.fields())
        .ignore()
        .cmd("PEXPIREAT")
        .arg(&key)
        .arg(expire_at_ms)
        .ignore();
    write.exec(store).await?;
    Ok(true)
}
