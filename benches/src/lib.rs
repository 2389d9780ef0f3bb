//! Shared set-up for kvdb's criterion benchmarks.
//!
//! Every benchmark group measures kvdb's path and the raw redis-rs baseline side by side, in
//! the same run, against the same server, and names them so `bench-report` can pair them:
//! the benchmark's function id is the side (`kvdb`, `raw`, or a named peer such as
//! `bb8-pool`), its parameter is the case (`pipeline-1000`, `64-tasks`).
//!
//! Each bench binary starts a private redis-server through `kvdb-test`, or uses `REDIS_URL`
//! when set. `KVDB_BENCH_QUICK=1` runs every case briefly (used by CI to exercise them).
//!
//! # Example
//!
//! ```no_run
//! let server = benches::BenchServer::start();
//! let runtime = benches::runtime();
//! let store = runtime.block_on(kvdb_core::RedisStore::connect(server.url())).unwrap();
//! # let _ = store;
//! ```

use std::time::Duration;

use criterion::Criterion;
use kvdb_test::RedisServer;

/// The server a bench binary runs against: `REDIS_URL`, or a private redis-server.
#[derive(Debug)]
pub struct BenchServer {
    url: String,
    _private: Option<RedisServer>,
}

impl BenchServer {
    /// Uses `REDIS_URL` when set, otherwise starts a private redis-server.
    pub fn start() -> BenchServer {
        match std::env::var("REDIS_URL") {
            Ok(url) => BenchServer {
                url,
                _private: None,
            },
            Err(_) => {
                let server = RedisServer::start();
                BenchServer {
                    url: server.url(),
                    _private: Some(server),
                }
            }
        }
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Whether `KVDB_BENCH_QUICK` asks for a brief run of every case.
pub fn is_quick() -> bool {
    std::env::var("KVDB_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The criterion configuration: the defaults, or a brief one in quick mode.
pub fn criterion() -> Criterion {
    let criterion = Criterion::default().configure_from_args();
    if is_quick() {
        criterion
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30)
    }
}

/// A multi-threaded tokio runtime with one worker per core, as a service would run.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("cannot start a tokio runtime for the benchmarks: {e}"),
    }
}

/// The raw baseline's connection: one redis-rs `MultiplexedConnection` with redis's defaults,
/// as a user of redis-rs without kvdb would hold it.
pub async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(e) => panic!("bad REDIS_URL {url}: {e}"),
    };
    match client.get_multiplexed_async_connection().await {
        Ok(conn) => conn,
        Err(e) => panic!("cannot connect the raw baseline to {url}: {e}"),
    }
}
