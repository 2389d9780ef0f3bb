//! [`Clock`]: where statistics get the time from, so tests can set it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::range::unix_secs;

/// The wall clock statistics use: to pick the minute bucket of a call, to decide what the
/// rollup job may roll up and what is beyond retention. Inject a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current Unix time in whole seconds. `record()` calls this on every call, so a
    /// clock may make it cheaper than [`now`](Self::now); by default it reads `now()`.
    #[inline]
    fn unix_seconds(&self) -> u64 {
        unix_secs(self.now())
    }
}

/// The system's wall clock.
///
/// Reading the system clock costs about a third of a `record()`, so
/// [`unix_seconds`](Clock::unix_seconds) reads a second counter that a background thread
/// (`kvdb-stats-clock`, started on first use, one per process) advances at every second
/// boundary, and reads the real clock only in the first and last second of each minute,
/// where the counter's lag (a millisecond or so) could put a call in the wrong minute.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    #[inline]
    fn unix_seconds(&self) -> u64 {
        match &*TICKING_SECONDS {
            Some(seconds) => {
                let seconds = seconds.load(Ordering::Relaxed);
                if matches!(seconds % 60, 0 | 59) {
                    unix_secs(SystemTime::now())
                } else {
                    seconds
                }
            }
            None => unix_secs(SystemTime::now()),
        }
    }
}

/// Unix seconds, advanced by a background thread; `None` if the thread could not start.
static TICKING_SECONDS: LazyLock<Option<&'static AtomicU64>> = LazyLock::new(|| {
    let seconds: &'static AtomicU64 =
        Box::leak(Box::new(AtomicU64::new(unix_secs(SystemTime::now()))));
    std::thread::Builder::new()
        .name("kvdb-stats-clock".into())
        .spawn(move || loop {
            let now = SystemTime::now();
            let into_second = now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            // Wake just after the next second starts.
            let wait = Duration::from_nanos(u64::from(1_000_000_000 - into_second) + 200_000);
            std::thread::sleep(wait);
            seconds.store(unix_secs(SystemTime::now()), Ordering::Relaxed);
        })
        .ok()
        .map(|_| seconds)
});

/// A clock that only moves when told to.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use kvdb_stats::{Clock, ManualClock};
///
/// let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(60));
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(90));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    /// Nanoseconds since the Unix epoch.
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock showing `time` (times before the Unix epoch show the epoch).
    pub fn at(time: SystemTime) -> ManualClock {
        let clock = ManualClock::default();
        clock.set(time);
        clock
    }

    /// Sets the time.
    pub fn set(&self, time: SystemTime) {
        let nanos = time
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
            .unwrap_or(0);
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let by = by.as_nanos().min(u128::from(u64::MAX)) as u64;
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clocks_seconds_follow_the_real_clock() {
        for _ in 0..3 {
            let before = unix_secs(SystemTime::now());
            let seconds = SystemClock.unix_seconds();
            let after = unix_secs(SystemTime::now());
            // The ticking counter may lag a second boundary by a moment, never more.
            assert!(
                seconds + 1 >= before && seconds <= after,
                "{before} {seconds} {after}"
            );
        }
    }

    #[test]
    fn a_manual_clock_gives_its_own_seconds() {
        let clock = ManualClock::at(UNIX_EPOCH + Duration::from_millis(120_999));
        assert_eq!(clock.unix_seconds(), 120);
    }
}
