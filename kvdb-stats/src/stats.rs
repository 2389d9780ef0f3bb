//! [`Stats`]: the handle applications record through and query.

use std::fmt;
use std::future;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use kvdb_core::KvStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::flush::{Batch, BatchBuilder, FlushReport};
use crate::keys::Keys;
use crate::query::Reader;
use crate::range::unix_secs;
use crate::recorder::Recorder;
use crate::rollup::{rollup, RollupReport};
use crate::{
    Call, Error, Level, Period, Ranking, Result, ServiceReport, SlowCall, SortBy, StatsOptions,
    TimeRange,
};

/// Service statistics: record calls in memory, flush them to the store in the background,
/// roll them up, query them. Cloning is cheap and shares everything.
///
/// Recording ([`record`](Self::record), [`record_call`](Self::record_call)) never touches the
/// store. [`flush`](Self::flush) writes everything recorded since the last flush in one
/// pipeline; [`Stats::start`] runs it every `flush_interval`, and
/// [`shutdown`](Self::shutdown) runs it a last time. A flush that fails keeps its data and is
/// sent again by the next one, without counting anything twice.
///
/// Dropping every handle without [`shutdown`](Self::shutdown) loses what was recorded since
/// the last flush (a warning is logged).
#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn KvStore>,
    options: StatsOptions,
    keys: Keys,
    /// This instance's id in flush records and the rollup lease.
    process: String,
    recorder: Recorder,
    flush: tokio::sync::Mutex<FlushState>,
    background: Mutex<Option<Background>>,
}

struct FlushState {
    builder: BatchBuilder,
    /// A batch not yet taken by the store (failed, or its flush was cancelled).
    pending: Option<Batch>,
}

struct Background {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Stats {
    /// Statistics on `store`, without a background flush: call [`flush`](Self::flush)
    /// yourself (tools that only query or roll up need none). Fails for invalid options.
    pub fn new(store: Arc<dyn KvStore>, options: StatsOptions) -> Result<Stats> {
        options.validate()?;
        let keys = Keys::new(store.namespace());
        let process = uuid::Uuid::new_v4().simple().to_string();
        let builder = BatchBuilder {
            keys: keys.clone(),
            process: process.clone(),
            next_sequence: 0,
        };
        Ok(Stats {
            inner: Arc::new(Inner {
                recorder: Recorder::new(&options),
                store,
                options,
                keys,
                process,
                flush: tokio::sync::Mutex::new(FlushState {
                    builder,
                    pending: None,
                }),
                background: Mutex::new(None),
            }),
        })
    }

    /// Statistics on `store` with a background task that flushes every `flush_interval` (and
    /// rolls up every `rollup_interval`, if set). Must be called inside a tokio runtime.
    pub fn start(store: Arc<dyn KvStore>, options: StatsOptions) -> Result<Stats> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let stats = Stats::new(store, options)?;
        let (stop, stopped) = oneshot::channel();
        let task = runtime.spawn(background(
            Arc::downgrade(&stats.inner),
            stopped,
            stats.inner.options.flush_interval,
            stats.inner.options.rollup_interval,
        ));
        *stats.inner.lock_background() = Some(Background { stop, task });
        Ok(stats)
    }

    /// Counts a call of `service` that took `duration`. No I/O: tens of nanoseconds. A call
    /// at or above the service's slow threshold is also kept as a slow call (without id or
    /// samples; use [`record_call`](Self::record_call) for those). An empty name is ignored.
    #[inline]
    pub fn record(&self, service: &str, duration: Duration) {
        self.inner.recorder.record(service, duration, None);
    }

    /// Counts a call, keeping its id, timestamps and (truncated) samples if it is slow.
    pub fn record_call(&self, call: &Call<'_>) {
        self.inner
            .recorder
            .record(call.service, call.duration, Some(call));
    }

    /// Writes everything recorded since the last flush, in one pipeline. First sends again a
    /// batch an earlier flush could not deliver (then new calls wait in memory until that
    /// batch got through). Cancel-safe: a flush dropped half-way is sent again by the next.
    pub async fn flush(&self) -> Result<FlushReport> {
        let inner = &self.inner;
        let mut state = inner.flush.lock().await;
        let mut report = FlushReport::default();
        inner.send_pending(&mut state, &mut report).await?;
        let drained = inner.recorder.drain();
        if drained.is_empty() {
            return Ok(report);
        }
        state.pending = Some(state.builder.build(drained, &inner.options));
        inner.send_pending(&mut state, &mut report).await?;
        Ok(report)
    }

    /// Stops the background task (waiting for a flush in progress) and flushes what is
    /// left. Recording still works afterwards, with flushes left to the caller.
    pub async fn shutdown(&self) -> Result<FlushReport> {
        let background = self.inner.lock_background().take();
        if let Some(Background { stop, task }) = background {
            let _ = stop.send(());
            if let Err(err) = task.await {
                tracing::warn!("statistics background task ended abnormally: {err}");
            }
        }
        self.flush().await
    }

    /// Runs the rollup job once: every hour that got calls and ended at least `rollup_delay`
    /// ago is rolled up from its minutes, then the days and months of those hours once they
    /// are complete. An hour that gets calls after its rollup (a late flush) is rolled up
    /// again, with its day and month. Idempotent, and safe from several processes at once
    /// (one runs, the others return at once with `skipped` set). Run it every few minutes,
    /// or set `rollup_interval`; until it has run, queries read minutes instead.
    pub async fn rollup(&self) -> Result<RollupReport> {
        let inner = &self.inner;
        let now = unix_secs(inner.options.clock.now());
        rollup(
            &*inner.store,
            &inner.keys,
            &inner.options,
            now,
            &inner.process,
        )
        .await
    }

    /// One service over `range`: usage, mean, min, max, percentiles, rate, share of all
    /// services, per-minute trend. A service without calls gives zeros.
    ///
    /// Errors: [`Error::EmptyServiceName`], [`Error::ReversedRange`], and
    /// [`Error::BeyondRetention`] when no part of the range is kept any more.
    pub async fn service(&self, service: &str, range: TimeRange) -> Result<ServiceReport> {
        self.reader().service(service, range).await
    }

    /// The first `limit` services over `range`, ranked `by` (largest first, ties by name).
    /// Errors as for [`service`](Self::service).
    pub async fn top(&self, range: TimeRange, by: SortBy, limit: usize) -> Result<Ranking> {
        self.reader().top(range, by, limit).await
    }

    /// Every service over the calendar `period` (UTC) holding `at`, ranked by usage.
    pub async fn summary(&self, period: Period, at: SystemTime) -> Result<Ranking> {
        let range = period.containing(unix_secs(at));
        self.reader().top(range, SortBy::Usage, usize::MAX).await
    }

    /// The slow calls `service` keeps, newest first.
    pub async fn slow_calls(&self, service: &str) -> Result<Vec<SlowCall>> {
        let limit = self.inner.options.slow_calls_kept;
        self.reader().slow_calls(service, limit).await
    }

    /// The `length` of time up to now, by this instance's clock: `stats.last(one_hour)`.
    pub fn last(&self, length: Duration) -> TimeRange {
        TimeRange::last(length, self.inner.options.clock.now())
    }

    /// The options in use.
    pub fn options(&self) -> &StatsOptions {
        &self.inner.options
    }

    /// The key of a bucket's hash, for inspection (`TTL`, `HGETALL`).
    pub fn bucket_key(&self, level: Level, id: u64) -> String {
        self.inner.keys.data(level, id)
    }

    /// The key of a service's slow-call list.
    pub fn slow_calls_key(&self, service: &str) -> String {
        self.inner.keys.slow_calls(service)
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            store: &*self.inner.store,
            keys: &self.inner.keys,
            options: &self.inner.options,
            now: unix_secs(self.inner.options.clock.now()),
        }
    }
}

impl Inner {
    fn lock_background(&self) -> std::sync::MutexGuard<'_, Option<Background>> {
        self.background
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends the pending batch, if any. On failure the batch stays pending, unless the store
    /// refused it for good (a server error other than running out of memory).
    async fn send_pending(&self, state: &mut FlushState, report: &mut FlushReport) -> Result<()> {
        let Some(batch) = state.pending.as_ref() else {
            return Ok(());
        };
        match batch.send(&*self.store, report).await {
            Ok(()) => {
                state.pending = None;
                Ok(())
            }
            Err(err) => {
                if !(err.is_retryable() || err.server_code() == Some("OOM")) {
                    let calls = state.pending.take().map_or(0, |batch| batch.calls);
                    tracing::error!(
                        calls,
                        "the store refused a statistics flush; its calls are dropped: {err}"
                    );
                }
                Err(err.into())
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let drained = self.recorder.drain();
        let pending = self
            .flush
            .get_mut()
            .pending
            .as_ref()
            .map_or(0, |batch| batch.calls);
        let calls: u64 = drained
            .minutes
            .values()
            .flat_map(|services| services.values())
            .map(|aggregate| aggregate.usage)
            .sum::<u64>()
            + pending;
        if calls > 0 {
            tracing::warn!(
                calls,
                "statistics dropped without shutdown(): their last calls were not flushed"
            );
        }
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("store", &self.inner.store.describe())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// The background task: flush (and roll up) on a timer until stopped or every handle is gone.
async fn background(
    stats: Weak<Inner>,
    mut stop: oneshot::Receiver<()>,
    flush_every: Duration,
    rollup_every: Option<Duration>,
) {
    let start = tokio::time::Instant::now();
    let mut flush_timer = tokio::time::interval_at(start + flush_every, flush_every);
    flush_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rollup_timer = rollup_every.map(|every| {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        timer
    });
    loop {
        let rollup_tick = async {
            match rollup_timer.as_mut() {
                Some(timer) => {
                    timer.tick().await;
                }
                None => future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            _ = flush_timer.tick() => {
                let Some(inner) = stats.upgrade() else { return };
                if let Err(err) = (Stats { inner }).flush().await {
                    tracing::warn!("statistics flush failed, will retry: {err}");
                }
            }
            _ = rollup_tick => {
                let Some(inner) = stats.upgrade() else { return };
                if let Err(err) = (Stats { inner }).rollup().await {
                    tracing::warn!("statistics rollup failed, will retry: {err}");
                }
            }
        }
    }
}
