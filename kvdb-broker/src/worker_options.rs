//! How a [`Worker`](crate::Worker) runs: [`WorkerOptions`], [`RetryPolicy`], [`ExpiredPolicy`].

use std::time::Duration;

/// What a worker does with a message that expired before it could be handled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiredPolicy {
    /// Count it and move it to the dead letters (kind `expired`).
    #[default]
    DeadLetter,
    /// Count it and drop it.
    Drop,
}

/// How failed messages are retried: exponential backoff up to a number of attempts.
///
/// ```
/// use std::time::Duration;
/// use kvdb_broker::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_millis(250));
/// assert_eq!(policy.backoff(1), Duration::from_millis(100));
/// assert_eq!(policy.backoff(2), Duration::from_millis(200));
/// assert_eq!(policy.backoff(3), Duration::from_millis(250));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last failure the message is
    /// dead-lettered. Default 5.
    pub max_attempts: u32,
    /// The wait after the first failure. Default 1 s.
    pub initial_backoff: Duration,
    /// The longest wait. Default 5 min.
    pub max_backoff: Duration,
    /// Each wait is this many times the one before. Default 2.
    pub multiplier: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            multiplier: 2.0,
        }
    }
}

impl RetryPolicy {
    /// Sets the number of attempts (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first wait.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets the longest wait.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Sets the growth factor (at least 1).
    pub fn multiplier(mut self, factor: f64) -> Self {
        self.multiplier = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let factor = self.multiplier.powi(exponent);
        let wait = self.initial_backoff.as_secs_f64() * factor;
        if !wait.is_finite() || wait >= self.max_backoff.as_secs_f64() {
            self.max_backoff
        } else {
            Duration::from_secs_f64(wait)
        }
    }
}

/// How a [`Worker`](crate::Worker) runs. Start from `WorkerOptions::default()`:
///
/// ```
/// use std::time::Duration;
/// use kvdb_broker::{RetryPolicy, WorkerOptions};
///
/// let options = WorkerOptions::default()
///     .concurrency(32)
///     .visibility_timeout(Duration::from_secs(60))
///     .retry(RetryPolicy::default().max_attempts(3));
/// assert_eq!(options.retry.max_attempts, 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WorkerOptions {
    /// The most handlers running at once, over all the worker's queues. Default 256.
    pub concurrency: usize,
    /// The most messages fetched per read. Default 128.
    pub batch_size: usize,
    /// How long one read waits for messages on the server. Each of the worker's queues holds
    /// one of the store's dedicated connections while it waits, so the store's pool must be
    /// larger than the number of queues the process reads. Default 1 s.
    pub block: Duration,
    /// How long a message may stay taken and unsettled before another worker takes it over
    /// (its worker died or hangs): longer than the slowest handler. Default 30 s.
    pub visibility_timeout: Duration,
    /// How often due delayed messages are looked for (sooner when one is known to be due).
    /// Default 100 ms.
    pub poll_interval: Duration,
    /// Retries of failed messages.
    pub retry: RetryPolicy,
    /// How long a message for a service no worker handles is kept (and offered again) before
    /// it is dead-lettered, counted from its delivery time. Default 30 s.
    pub no_handler_grace: Duration,
    /// What happens to expired messages.
    pub expired: ExpiredPolicy,
    /// The start of this worker's consumer name (a unique suffix is added). Default `worker`.
    pub name: String,
    /// Consumers that hold nothing and were idle this long (left behind by crashed workers)
    /// are removed from the queue's group. Default 1 h.
    pub forget_consumers_after: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: 256,
            batch_size: 128,
            block: Duration::from_secs(1),
            visibility_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
            retry: RetryPolicy::default(),
            no_handler_grace: Duration::from_secs(30),
            expired: ExpiredPolicy::default(),
            name: String::from("worker"),
            forget_consumers_after: Duration::from_secs(3600),
        }
    }
}

impl WorkerOptions {
    /// Sets the most handlers running at once (at least 1).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// Sets the most messages fetched per read (at least 1).
    pub fn batch_size(mut self, messages: usize) -> Self {
        self.batch_size = messages.max(1);
        self
    }

    /// Sets how long one read waits on the server (at least 1 ms).
    pub fn block(mut self, wait: Duration) -> Self {
        self.block = wait.max(Duration::from_millis(1));
        self
    }

    /// Sets the visibility timeout (at least 1 ms).
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets how often due delayed messages are looked for (at least 1 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the grace period for messages no handler wants.
    pub fn no_handler_grace(mut self, grace: Duration) -> Self {
        self.no_handler_grace = grace;
        self
    }

    /// Sets what happens to expired messages.
    pub fn expired(mut self, policy: ExpiredPolicy) -> Self {
        self.expired = policy;
        self
    }

    /// Sets the start of the consumer name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Sets after how long idle, empty consumers are forgotten.
    pub fn forget_consumers_after(mut self, idle: Duration) -> Self {
        self.forget_consumers_after = idle;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_at_the_maximum() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0), Duration::from_secs(1));
        assert_eq!(policy.backoff(4), Duration::from_secs(8));
        assert_eq!(policy.backoff(40), Duration::from_secs(300));
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(300));
        let flat = RetryPolicy::default().multiplier(f64::NAN);
        assert_eq!(flat.backoff(9), Duration::from_secs(1));
    }
}
