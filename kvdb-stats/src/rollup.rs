//! The rollup job: minutes into hours, hours into days, days into months.
//!
//! Every flush marks the hours it wrote to in a dirty set. The job rolls up each dirty hour
//! that ended at least `rollup_delay` ago by reading its 60 minutes, merging them (exactly)
//! and *overwriting* the hour in one MULTI/EXEC, then marks the hour's day dirty; days
//! whose hours are all rolled up are done the same way, then months. Recompute-and-overwrite
//! is idempotent, so a run that fails half-way is simply run again, and a late flush (calls
//! for an hour already rolled up) just marks the hour dirty again. A dirty entry is removed
//! only if no flush marked it again while it was being rolled up.
//!
//! Per level a watermark says "every bucket up to here is rolled up": queries use a coarse
//! bucket only below it. One process runs the job at a time (a lease, renewed by nobody:
//! long enough for any run); the others return at once.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use kvdb_core::{KvStore, KvStoreExt, Pipeline, Script};
use serde::{Deserialize, Serialize};

use crate::aggregate::Bucket;
use crate::keys::Keys;
use crate::{Error, Level, Result, StatsOptions};

/// The coarser levels, in rollup order; their index is their watermark's slot.
pub(crate) const ROLLED: [Level; 3] = [Level::Hour, Level::Day, Level::Month];

/// How long a run may hold the job before another process may take it over.
const LEASE: Duration = Duration::from_secs(300);

static RAISE_MARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1') \
         if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end \
         return 0",
    )
});

static CLEAR_DIRTY: LazyLock<Script> = LazyLock::new(|| {
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

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end \
         return 0",
    )
});

/// What one run of [`Stats::rollup`](crate::Stats::rollup) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RollupReport {
    /// Another process was running the job: this run did nothing.
    pub skipped: bool,
    /// Hour buckets written.
    pub hours: usize,
    /// Day buckets written.
    pub days: usize,
    /// Month buckets written.
    pub months: usize,
    /// Dirty buckets dropped because their sources had partly expired (a rollup that did not
    /// run for longer than the finer level's retention).
    pub expired: usize,
    /// The watermarks after the run: every hour, day and month up to these ids is rolled up.
    pub watermarks: [Option<u64>; 3],
}

/// Reads the watermarks of hours, days and months.
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
        reason: format!("{value:?} is not a bucket"),
    }
}

/// Runs the rollup job at `now` (Unix seconds) as `process`.
pub(crate) async fn rollup(
    store: &dyn KvStore,
    keys: &Keys,
    options: &StatsOptions,
    now: u64,
    process: &str,
) -> Result<RollupReport> {
    let lease: Option<String> = store
        .query(
            redis::cmd("SET")
                .arg(keys.rollup_lock())
                .arg(process)
                .arg("NX")
                .arg("PX")
                .arg(LEASE.as_millis() as u64),
        )
        .await?;
    if lease.is_none() {
        return Ok(RollupReport {
            skipped: true,
            ..RollupReport::default()
        });
    }
    let result = run(store, keys, options, now).await;
    let released: Result<i64, _> = RELEASE
        .invoke(store, &[keys.rollup_lock()], &[process])
        .await;
    let report = result?;
    released?;
    Ok(report)
}

async fn run(
    store: &dyn KvStore,
    keys: &Keys,
    options: &StatsOptions,
    now: u64,
) -> Result<RollupReport> {
    let mut marks = read_marks(store, keys).await?;
    let mut report = RollupReport::default();
    let ready_until = now.saturating_sub(options.rollup_delay.as_secs());
    for (slot, level) in ROLLED.into_iter().enumerate() {
        // Buckets before `ready_end` are complete: over for long enough (hours), or made of
        // finer buckets that are all rolled up (days, months).
        let ready_end = match level.finer() {
            Some(Level::Minute) | None => level.bucket_of(ready_until),
            Some(finer) => marks[slot - 1].map_or(0, |mark| level.bucket_of(finer.end_of(mark))),
        };
        let dirty = read_dirty(store, keys, level).await?;
        let mut done = Vec::new();
        for (id, member, score) in dirty.into_iter().filter(|(id, _, _)| *id < ready_end) {
            let source = level.finer().unwrap_or(Level::Minute);
            let oldest_kept = now.saturating_sub(options.retention.of(source).as_secs());
            if level.start_of(id) < oldest_kept {
                // Rolling up from partly expired sources would shrink the bucket.
                report.expired += 1;
            } else if recompute(store, keys, options, level, id).await? {
                match level {
                    Level::Hour => report.hours += 1,
                    Level::Day => report.days += 1,
                    _ => report.months += 1,
                }
                if let Some(coarser) = ROLLED.get(slot + 1) {
                    let parent = coarser.bucket_of(level.start_of(id));
                    let _: f64 = store
                        .query(
                            redis::cmd("ZINCRBY")
                                .arg(keys.dirty())
                                .arg(1)
                                .arg(format!("{}:{parent}", coarser.name())),
                        )
                        .await?;
                }
            }
            done.push(member);
            done.push(score);
        }
        if !done.is_empty() {
            let _: i64 = CLEAR_DIRTY.invoke(store, &[keys.dirty()], &done).await?;
        }
        if ready_end > 0 {
            let last = ready_end - 1;
            let _: i64 = RAISE_MARK
                .invoke(
                    store,
                    &[keys.marks()],
                    &[level.name().to_owned(), last.to_string()],
                )
                .await?;
            marks[slot] = Some(marks[slot].map_or(last, |mark| mark.max(last)));
        }
    }
    report.watermarks = marks;
    Ok(report)
}

/// The dirty buckets of one level: `(id, member, score)`.
async fn read_dirty(
    store: &dyn KvStore,
    keys: &Keys,
    level: Level,
) -> Result<Vec<(u64, String, String)>> {
    let flat: Vec<String> = store
        .query(
            redis::cmd("ZRANGE")
                .arg(keys.dirty())
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES"),
        )
        .await?;
    let prefix = format!("{}:", level.name());
    let mut dirty = Vec::new();
    for pair in flat.chunks(2) {
        let [member, score] = pair else { continue };
        if let Some(id) = member.strip_prefix(&prefix) {
            let id = id.parse().map_err(|_| malformed(keys.dirty(), member))?;
            dirty.push((id, member.clone(), score.clone()));
        }
    }
    Ok(dirty)
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
        merged.absorb(hash).map_err(|reason| Error::Malformed {
            key: keys.data(source, source_id),
            reason,
        })?;
    }
    if merged.services.is_empty() {
        return Ok(false);
    }
    let key = keys.data(level, id);
    let expire_at_ms = level
        .end_of(id)
        .saturating_add(options.retention.of(level).as_secs())
        .saturating_mul(1000);
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
