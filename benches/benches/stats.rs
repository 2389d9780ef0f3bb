//! kvdb-stats: the cost of `record()` (one task, 64 tasks) and of a flush of 1,000 services.
//!
//! `record()` does no I/O, so it has no raw redis-rs counterpart: its figure is absolute
//! (target: at most 100 ns). The flush is compared with the raw floor of the same amount of
//! data: one pipeline of 1,000 HINCRBYs on one connection.
//!
//! Run: `cargo bench -p benches --bench stats`, then `cargo run -p benches --bin bench-report`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::{criterion, raw_connection, runtime, BenchServer};
use criterion::{BenchmarkId, Criterion, Throughput};
use kvdb_core::{KvStore, RedisStore};
use kvdb_stats::{Stats, StatsOptions};

const SERVICES: usize = 1_000;
const RECORDS_PER_TASK: u64 = 10_000;

fn stats(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let store: Arc<dyn KvStore> = Arc::new(
        rt.block_on(RedisStore::connect(server.url()))
            .expect("connect"),
    );
    let stats = Stats::new(store.clone(), StatsOptions::default()).expect("stats");
    let names: Vec<String> = (0..SERVICES).map(|i| format!("service.{i:04}")).collect();
    let mut group = c.benchmark_group("stats");

    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("kvdb", "record-1-task"), |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % 16;
            stats.record(black_box(&names[i]), black_box(Duration::from_micros(830)));
        })
    });

    let tasks = 64;
    group.throughput(Throughput::Elements(tasks * RECORDS_PER_TASK));
    group.bench_function(BenchmarkId::new("kvdb", "record-64-tasks"), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let stats = stats.clone();
            let names = names.clone();
            async move {
                let names = Arc::new(names);
                let started = Instant::now();
                for _ in 0..iters {
                    let handles: Vec<_> = (0..tasks)
                        .map(|task| {
                            let (stats, names) = (stats.clone(), names.clone());
                            tokio::spawn(async move {
                                for i in 0..RECORDS_PER_TASK {
                                    let name = &names[((task + i) % 16) as usize];
                                    stats.record(name, Duration::from_micros(i % 5000));
                                }
                            })
                        })
                        .collect();
                    for handle in handles {
                        handle.await.expect("task");
                    }
                }
                started.elapsed()
            }
        })
    });
    rt.block_on(stats.flush()).expect("flush");

    group.throughput(Throughput::Elements(SERVICES as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("kvdb", "flush-1000-services"), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let stats = stats.clone();
            let names = names.clone();
            async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    for name in &names {
                        stats.record(name, Duration::from_micros(830));
                    }
                    let started = Instant::now();
                    let report = stats.flush().await.expect("flush");
                    spent += started.elapsed();
                    assert_eq!(report.pipelines, 1, "a flush is one pipeline");
                }
                spent
            }
        })
    });
    let raw = rt.block_on(raw_connection(server.url()));
    group.bench_function(BenchmarkId::new("raw", "flush-1000-services"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            let mut pipe = redis::pipe();
            for name in &names {
                pipe.hincr("raw-stats", name, 830).ignore();
            }
            pipe.exec_async(&mut conn).await.expect("pipeline")
        })
    });
    group.finish();
}

fn main() {
    let server = BenchServer::start();
    let mut c = criterion();
    stats(&mut c, &server);
    c.final_summary();
}
