//! Setup shared by the broker's tests: a broker on a private server, fast worker options, and
//! a way to wait for a condition without long sleeps.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kvdb_broker::{Broker, BrokerOptions, RetryPolicy, WorkerOptions};
use kvdb_core::{RedisStore, RedisStoreOptions};
use kvdb_test::RedisServer;

/// A broker on `server`, in the namespace `t`.
pub async fn broker(server: &RedisServer) -> Broker {
    broker_with(server, BrokerOptions::default()).await
}

/// A broker on `server` with these options.
pub async fn broker_with(server: &RedisServer, options: BrokerOptions) -> Broker {
    let store = RedisStore::connect_with(
        &server.url(),
        RedisStoreOptions::default()
            .namespace("t")
            .response_timeout(Duration::from_secs(2)),
    )
    .await
    .expect("connect to the test server");
    Broker::with_options(Arc::new(store), options)
}

/// Worker options with every interval short, so that tests take milliseconds.
pub fn fast() -> WorkerOptions {
    WorkerOptions::default()
        .block(Duration::from_millis(100))
        .visibility_timeout(Duration::from_millis(400))
        .poll_interval(Duration::from_millis(10))
        .no_handler_grace(Duration::from_millis(200))
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(100)),
        )
}

/// Polls `check` every 10 ms until it returns true; panics with `what` after `limit`.
pub async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Counts how often each key was seen, shared between handlers and the test.
#[derive(Clone, Default)]
pub struct Tally {
    seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl Tally {
    pub fn add(&self, key: &str) -> usize {
        let mut seen = self.seen.lock().unwrap();
        let count = seen.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }

    pub fn get(&self, key: &str) -> usize {
        self.seen.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    pub fn distinct(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().values().sum()
    }

    pub fn snapshot(&self) -> HashMap<String, usize> {
        self.seen.lock().unwrap().clone()
    }
}
