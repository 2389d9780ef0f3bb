//! [`Clock`]: where statistics get the time from, so tests can set it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The wall clock statistics use: to pick the minute bucket of a call, to decide what the
/// rollup job may roll up and what is beyond retention. Inject a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

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
