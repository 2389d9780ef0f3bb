//! [`Recorder`]: the in-memory side of recording, built so `record()` is a few tens of
//! nanoseconds and scales with threads.
//!
//! Calls land in one of several shards, each a `Mutex<HashMap<service, Entry>>`, picked by
//! the recording thread (threads are numbered on first use, round robin), so threads rarely
//! share a lock and a lock is never held for more than one map update. A service already seen
//! since the last flush costs one hash lookup and no allocation. A flush swaps each shard's
//! map for an empty one (O(1) under the lock) and merges the shards outside any lock.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::aggregate::Aggregate;
use crate::call::{nanos, Call, SlowCall};
use crate::hasher::FxBuildHasher;
use crate::{Clock, StatsOptions};

type ShardMap = HashMap<Box<str>, Entry, FxBuildHasher>;

/// One service in one shard since the last flush.
#[derive(Debug)]
struct Entry {
    threshold_ns: u64,
    /// Per minute bucket; almost always one, two around a minute boundary.
    minutes: Vec<(u64, Aggregate)>,
    /// The most recent slow calls, oldest first.
    slow: VecDeque<SlowCall>,
}

/// A shard on a cache line of its own, so shards used by different threads don't contend.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(Mutex<ShardMap>);

impl Shard {
    fn lock(&self) -> MutexGuard<'_, ShardMap> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Everything recorded since the last flush, merged over the shards.
#[derive(Debug, Default)]
pub(crate) struct Drained {
    /// Minute bucket -> service -> aggregate.
    pub(crate) minutes: BTreeMap<u64, HashMap<String, Aggregate>>,
    /// Service -> its most recent slow calls, oldest first.
    pub(crate) slow: HashMap<String, Vec<SlowCall>>,
}

impl Drained {
    pub(crate) fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.slow.is_empty()
    }
}

/// The sharded in-memory aggregates of one [`Stats`](crate::Stats).
#[derive(Debug)]
pub(crate) struct Recorder {
    shards: Box<[Shard]>,
    clock: Arc<dyn Clock>,
    default_threshold_ns: u64,
    thresholds_ns: HashMap<String, u64>,
    slow_kept: usize,
    sample_max_bytes: usize,
}

/// Numbers threads on their first `record()`, to spread them over the shards.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_NUMBER: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

impl Recorder {
    pub(crate) fn new(options: &StatsOptions) -> Recorder {
        let threads = std::thread::available_parallelism().map_or(4, |n| n.get());
        let count = (threads * 4).next_power_of_two().clamp(8, 256);
        Recorder {
            shards: (0..count).map(|_| Shard::default()).collect(),
            clock: Arc::clone(&options.clock),
            default_threshold_ns: nanos(options.slow_threshold),
            thresholds_ns: options
                .service_slow_thresholds
                .iter()
                .map(|(service, t)| (service.clone(), nanos(*t)))
                .collect(),
            slow_kept: options.slow_calls_kept,
            sample_max_bytes: options.sample_max_bytes,
        }
    }

    #[inline]
    fn shard(&self) -> &Shard {
        let number = THREAD_NUMBER.try_with(|n| *n).unwrap_or(0);
        &self.shards[number & (self.shards.len() - 1)]
    }

    /// Counts a call of `service` that took `duration`; `call` gives the details kept if it
    /// is slow. Empty service names are ignored.
    #[inline]
    pub(crate) fn record(&self, service: &str, duration: Duration, call: Option<&Call<'_>>) {
        if service.is_empty() {
            return;
        }
        let minute = self.clock.unix_seconds() / 60;
        let nanos = nanos(duration);
        let mut map = self.shard().lock();
        let update = |entry: &mut Entry| {
            entry.add(minute, nanos);
            if nanos >= entry.threshold_ns && self.slow_kept > 0 {
                let call = call
                    .copied()
                    .unwrap_or_else(|| Call::new(service, duration));
                if entry.slow.len() == self.slow_kept {
                    entry.slow.pop_front();
                }
                let now = self.clock.now();
                let slow = SlowCall::of(&call, now, entry.threshold_ns, self.sample_max_bytes);
                entry.slow.push_back(slow);
            }
        };
        if let Some(entry) = map.get_mut(service) {
            update(entry);
            return;
        }
        let mut entry = Entry {
            threshold_ns: self
                .thresholds_ns
                .get(service)
                .copied()
                .unwrap_or(self.default_threshold_ns),
            minutes: Vec::with_capacity(2),
            slow: VecDeque::new(),
        };
        update(&mut entry);
        map.insert(Box::from(service), entry);
    }

    /// Takes everything recorded so far, leaving the shards empty.
    pub(crate) fn drain(&self) -> Drained {
        let mut drained = Drained::default();
        for shard in self.shards.iter() {
            let map = std::mem::take(&mut *shard.lock());
            for (service, entry) in map {
                let service = String::from(service);
                for (minute, aggregate) in entry.minutes {
                    drained
                        .minutes
                        .entry(minute)
                        .or_default()
                        .entry(service.clone())
                        .or_default()
                        .merge(&aggregate);
                }
                if !entry.slow.is_empty() {
                    drained.slow.entry(service).or_default().extend(entry.slow);
                }
            }
        }
        // Shards are drained one after the other: order each service's slow calls by time.
        for calls in drained.slow.values_mut() {
            calls.sort_by_key(|call| call.response_at_ms);
            let excess = calls.len().saturating_sub(self.slow_kept);
            calls.drain(..excess);
        }
        drained
    }
}

impl Entry {
    #[inline]
    fn add(&mut self, minute: u64, nanos: u64) {
        if let Some((last, aggregate)) = self.minutes.last_mut() {
            if *last == minute {
                aggregate.record(nanos);
                return;
            }
        }
        match self.minutes.iter_mut().find(|(m, _)| *m == minute) {
            Some((_, aggregate)) => aggregate.record(nanos),
            None => {
                let mut aggregate = Aggregate::default();
                aggregate.record(nanos);
                self.minutes.push((minute, aggregate));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::ManualClock;

    fn recorder(clock: &Arc<ManualClock>, slow_kept: usize) -> Recorder {
        let clock: Arc<dyn Clock> = clock.clone();
        Recorder::new(
            &StatsOptions::default()
                .clock(clock)
                .slow_threshold(Duration::from_millis(100))
                .slow_calls_kept(slow_kept),
        )
    }

    #[test]
    fn calls_are_split_by_minute_and_merged_over_threads() {
        let clock = Arc::new(ManualClock::at(UNIX_EPOCH + Duration::from_secs(600)));
        let recorder = Arc::new(recorder(&clock, 10));
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let recorder = Arc::clone(&recorder);
                scope.spawn(move || {
                    for ms in 1..=10 {
                        recorder.record("a", Duration::from_millis(ms), None);
                    }
                });
            }
        });
        clock.advance(Duration::from_secs(60));
        recorder.record("a", Duration::from_millis(7), None);
        recorder.record("", Duration::from_millis(7), None);
        let drained = recorder.drain();
        let first = &drained.minutes[&10]["a"];
        assert_eq!(
            (first.usage, first.min_ns, first.max_ns),
            (40, 1_000_000, 10_000_000)
        );
        assert_eq!(first.total_ns, 4 * 55_000_000);
        assert_eq!(drained.minutes[&11]["a"].usage, 1);
        assert_eq!(drained.minutes.len(), 2);
        assert!(recorder.drain().is_empty());
    }

    #[test]
    fn only_the_most_recent_slow_calls_are_kept() {
        let clock = Arc::new(ManualClock::at(UNIX_EPOCH + Duration::from_secs(600)));
        let recorder = recorder(&clock, 3);
        for ms in [50, 150, 250, 350, 450, 99] {
            clock.advance(Duration::from_secs(1));
            recorder.record("a", Duration::from_millis(ms), None);
        }
        let drained = recorder.drain();
        let kept: Vec<u64> = drained.slow["a"]
            .iter()
            .map(|c| c.duration_ns / 1_000_000)
            .collect();
        assert_eq!(kept, [250, 350, 450]);
    }
}
