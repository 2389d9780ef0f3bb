//! Shared setup for kvdb-stats' tests: a private redis-server, a store that counts round
//! trips, a manual clock, and test options.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use kvdb_core::redis::{Cmd, Pipeline, Value};
use kvdb_core::{DedicatedConnection, KvStore, Namespace, RedisStore, Subscription};
use kvdb_stats::{ManualClock, Retention, Stats, StatsOptions};
use kvdb_test::{RedisServer, ServerOptions};

/// A [`RedisStore`] that counts what goes through it, and can lose one reply: the
/// pipeline runs on the server, then the call fails as if the connection broke.
pub struct Counting {
    pub inner: RedisStore,
    pub commands: AtomicUsize,
    pub pipelines: AtomicUsize,
    pub lose_next_pipeline_reply: AtomicBool,
}

impl Counting {
    /// Round trips so far (commands + pipelines).
    pub fn round_trips(&self) -> usize {
        self.commands.load(Ordering::SeqCst) + self.pipelines.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.commands.store(0, Ordering::SeqCst);
        self.pipelines.store(0, Ordering::SeqCst);
    }
}

#[async_trait]
impl KvStore for Counting {
    async fn req_command(&self, cmd: &Cmd) -> kvdb_core::Result<Value> {
        self.commands.fetch_add(1, Ordering::SeqCst);
        self.inner.req_command(cmd).await
    }

    async fn req_pipeline(&self, pipe: &Pipeline) -> kvdb_core::Result<Vec<Value>> {
        self.pipelines.fetch_add(1, Ordering::SeqCst);
        let replies = self.inner.req_pipeline(pipe).await;
        if self.lose_next_pipeline_reply.swap(false, Ordering::SeqCst) {
            return Err(kvdb_core::Error::ConnectionLost {
                command: "pipeline".into(),
                reason: "test: the reply was lost after the server ran the pipeline".into(),
            });
        }
        replies
    }

    async fn dedicated(&self) -> kvdb_core::Result<DedicatedConnection> {
        self.inner.dedicated().await
    }

    async fn subscribe(&self) -> kvdb_core::Result<Subscription> {
        self.inner.subscribe().await
    }

    fn namespace(&self) -> &Namespace {
        self.inner.namespace()
    }
}

/// A running server and a counting store on it.
pub struct Setup {
    pub server: RedisServer,
    pub store: Arc<Counting>,
    pub clock: Arc<ManualClock>,
}

impl Setup {
    /// A server, a store, and a clock at `start` (Unix seconds).
    pub async fn new(start: u64) -> Setup {
        Setup::with_server(ServerOptions::default(), start).await
    }

    /// The same, with a server started with `options`.
    pub async fn with_server(options: ServerOptions, start: u64) -> Setup {
        let server = RedisServer::start_with(options);
        let store = Arc::new(Counting {
            inner: RedisStore::connect(&server.url())
                .await
                .expect("connect to the test server"),
            commands: AtomicUsize::new(0),
            pipelines: AtomicUsize::new(0),
            lose_next_pipeline_reply: AtomicBool::new(false),
        });
        let clock = Arc::new(ManualClock::at(at(start)));
        Setup {
            server,
            store,
            clock,
        }
    }

    /// Options with this setup's clock and retentions long enough that buckets written
    /// with a clock set in the past do not expire at once.
    pub fn options(&self) -> StatsOptions {
        let day = Duration::from_secs(86_400);
        StatsOptions::default().clock(self.clock.clone()).retention(
            Retention::default()
                .minute(day * 100)
                .hour(day * 400)
                .day(day * 800)
                .month(day * 3000),
        )
    }

    /// Statistics on this setup's store with `options`, without a background task.
    pub fn stats(&self, options: StatsOptions) -> Stats {
        Stats::new(self.store.clone(), options).expect("valid options")
    }

    /// A second, independent connection (another "process").
    pub async fn other_store(&self) -> Arc<dyn KvStore> {
        Arc::new(
            RedisStore::connect(&self.server.url())
                .await
                .expect("connect to the test server"),
        )
    }

    /// Sets the clock to `unix` seconds.
    pub fn set_time(&self, unix: u64) {
        self.clock.set(at(unix));
    }
}

pub fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

pub const MINUTE: u64 = 60;
pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

/// The start of the UTC day `days_ago` days before today: recent enough that real expiry
/// times derived from it lie in the future with the test retentions.
pub fn day_start(days_ago: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    (now / DAY - days_ago) * DAY
}

/// The exact nearest-rank percentile of `values` (sorted).
pub fn nearest_rank(sorted: &[u64], quantile: f64) -> u64 {
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Asserts `estimate` is within the histogram's bucket error (6.25 %) of `exact`.
pub fn assert_within_bucket_error(estimate: u64, exact: u64, what: &str) {
    let error = estimate.abs_diff(exact) as f64 / exact as f64;
    assert!(
        error <= 0.0625,
        "{what}: estimate {estimate} vs exact {exact} ({:.2} %)",
        error * 100.0
    );
}
