//! Service statistics on kvdb: how often each service ran, how fast, and which calls were
//! slow. Cheap to record, exact to merge, queryable over any range.
//!
//! - **Recording costs no round trip.** [`Stats::record`] adds to in-memory aggregates
//!   (sharded by thread, no global lock, no allocation for a service already seen); a
//!   background task flushes them every `flush_interval` in **one pipeline**, whose size
//!   grows with the number of services, not calls. [`Stats::shutdown`] flushes the rest.
//! - **Exact.** Usage and total time are integer sums (`HINCRBY`, nanoseconds); min and max
//!   merge as min and max; the mean is total over usage, never a mean of means. Several
//!   processes add up exactly, and a retried flush is never counted twice.
//! - **Percentiles at every level.** Each bucket keeps a histogram with fixed log-scale
//!   buckets (8 per power of two): p50/p90/p99 are within **6.25 %** of the exact value.
//! - **Minutes, hours, days, months.** Calls go into per-minute buckets; [`Stats::rollup`]
//!   (run it periodically, from any number of processes) merges them into hours, days and
//!   calendar months. Each level expires after its [`Retention`].
//! - **Queries read the coarsest buckets that fit**: a day-long range is a few edge minutes
//!   and hours, not 1,440 minutes; every query is two round trips.
//! - **Slow calls**: calls above a per-service threshold are kept, the most recent
//!   `slow_calls_kept` per service, with id, timestamps and truncated samples.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kvdb_core::{KvStore, RedisStore};
//! use kvdb_stats::{Call, SortBy, Stats, StatsOptions};
//!
//! # async fn run() -> kvdb_stats::Result<()> {
//! let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
//! let stats = Stats::start(store, StatsOptions::default())?;
//!
//! // On the hot path: no I/O.
//! stats.record("billing.invoice", Duration::from_micros(830));
//! stats.record_call(
//!     &Call::new("billing.refund", Duration::from_secs(3)).id("cid-1").request("{..}"),
//! );
//!
//! // Periodically, from any process.
//! stats.rollup().await?;
//!
//! // Queries.
//! let last_day = stats.last(Duration::from_secs(86_400));
//! let top = stats.top(last_day, SortBy::P99, 10).await?;
//! for service in &top.services {
//!     println!("{} {} calls, p99 {} ns", service.service, service.usage, service.p99_ns);
//! }
//! let invoice = stats.service("billing.invoice", last_day).await?;
//! println!("mean {} ns, {:.1} % of all calls", invoice.stats.mean_ns,
//!     invoice.stats.usage_share_percent);
//! let slow = stats.slow_calls("billing.refund").await?;
//!
//! stats.shutdown().await?; // nothing recorded is lost
//! # let _ = slow;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`Stats`] (`stats.rs`): the handle: record, flush, shutdown, rollup, queries.
//! - `recorder.rs`: the sharded in-memory aggregates behind `record()` (`hasher.rs`: the
//!   fast hash it uses).
//! - `flush.rs` with `lua/merge_bucket.lua` and `lua/push_slow_calls.lua`: one pipeline of
//!   idempotent script calls per flush.
//! - `aggregate.rs`: one service in one bucket, how buckets are stored and merged;
//!   `histogram.rs`: the log-scale latency histogram and its error bound.
//! - `rollup.rs`: the rollup job ([`RollupReport`]).
//! - `plan.rs`: which buckets answer a range (pure); `query.rs`: the queries;
//!   `report.rs`: what they return ([`ServiceReport`], [`Ranking`], [`ServiceStats`]).
//! - `keys.rs`: the key layout. `level.rs` ([`Level`], [`Period`]), `calendar.rs`,
//!   `range.rs` ([`TimeRange`]): time. `clock.rs`: [`Clock`], [`SystemClock`],
//!   [`ManualClock`]. `call.rs`: [`Call`], [`SlowCall`]. `options.rs`: [`StatsOptions`],
//!   [`Retention`]. `error.rs`: [`Error`].

mod aggregate;
mod calendar;
mod call;
mod clock;
mod error;
mod flush;
mod hasher;
mod histogram;
mod keys;
mod level;
mod options;
mod plan;
mod query;
mod range;
mod recorder;
mod report;
mod rollup;
mod stats;

pub use call::{Call, SlowCall};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use flush::FlushReport;
pub use level::{Level, Period};
pub use options::{Retention, StatsOptions};
pub use range::TimeRange;
pub use report::{Ranking, ServiceReport, ServiceStats, SortBy, Totals, TrendPoint};
pub use rollup::RollupReport;
pub use stats::Stats;
