//! How a worker's loops learn that they must stop, and how they wait after errors.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The stop signal every loop of a worker watches: `None` while running, then the deadline
/// by which in-flight work must be done.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    rx: watch::Receiver<Option<Instant>>,
}

impl Stop {
    /// A sender (kept by the running worker) and the first receiver.
    pub(crate) fn channel() -> (watch::Sender<Option<Instant>>, Stop) {
        let (tx, rx) = watch::channel(None);
        (tx, Stop { rx })
    }

    /// The deadline, once stopping.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        *self.rx.borrow()
    }

    /// Whether the worker is stopping.
    pub(crate) fn is_stopping(&self) -> bool {
        self.deadline().is_some()
    }

    /// Whether the worker is stopping and its deadline has passed.
    pub(crate) fn is_past_deadline(&self) -> bool {
        self.deadline().is_some_and(|at| Instant::now() >= at)
    }

    /// Resolves once the worker is stopping (or its handle is gone). Cancel-safe.
    pub(crate) async fn stopping(&mut self) {
        let _ = self.rx.wait_for(Option::is_some).await;
    }

    /// Sleeps for `wait`, but never past the stop deadline: for retries of work that should
    /// still be done while stopping (acknowledgements, settling).
    pub(crate) async fn pause(&self, wait: Duration) {
        let mut until = Instant::now() + wait;
        if let Some(deadline) = self.deadline() {
            until = until.min(deadline);
        }
        tokio::time::sleep_until(until).await;
    }

    /// Sleeps for `wait`, or less if the worker starts stopping; returns whether it is.
    pub(crate) async fn sleep(&mut self, wait: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(wait) => self.is_stopping(),
            _ = self.stopping() => true,
        }
    }
}

/// Exponential waits between attempts at a failing call: 20 ms doubling up to 1 s, so that a
/// restarting server is not hammered and is used again soon after it is back.
#[derive(Debug)]
pub(crate) struct ErrorBackoff {
    next: Duration,
}

const FIRST_WAIT: Duration = Duration::from_millis(20);
const LONGEST_WAIT: Duration = Duration::from_secs(1);

impl Default for ErrorBackoff {
    fn default() -> Self {
        ErrorBackoff { next: FIRST_WAIT }
    }
}

impl ErrorBackoff {
    /// The wait before the next attempt.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(LONGEST_WAIT);
        wait
    }

    /// Back to the shortest wait, after a success.
    pub(crate) fn reset(&mut self) {
        self.next = FIRST_WAIT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_second() {
        let mut backoff = ErrorBackoff::default();
        let waits: Vec<u128> = (0..8).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next_wait(), FIRST_WAIT);
    }

    #[tokio::test]
    async fn stopping_wakes_sleepers_and_carries_the_deadline() {
        let (tx, mut stop) = Stop::channel();
        assert!(!stop.is_stopping());
        let deadline = Instant::now() + Duration::from_secs(5);
        let sleeper = {
            let mut stop = stop.clone();
            tokio::spawn(async move { stop.sleep(Duration::from_secs(60)).await })
        };
        tx.send_replace(Some(deadline));
        assert!(sleeper.await.unwrap());
        stop.stopping().await;
        assert_eq!(stop.deadline(), Some(deadline));
        assert!(!stop.is_past_deadline());
    }
}
