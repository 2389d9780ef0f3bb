//! kvdb-core and kvdb-lua against raw redis-rs: pipelines, concurrency, scripts.
//!
//! Run: `cargo bench -p benches --bench core`, then `cargo run -p benches --bin bench-report`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::{criterion, raw_connection, runtime, BenchServer};
use criterion::{BenchmarkId, Criterion, Throughput};
use kvdb_core::{KvStoreExt, Pipeline, RedisStore, Script};
use kvdb_lua::{LuaContainer, LuaOptions};

const SIZES: [usize; 4] = [1, 10, 100, 1000];
const OPS_PER_TASK: usize = 200;
const INCR_LUA: &str = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

fn pipelines(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let store = rt
        .block_on(RedisStore::connect(server.url()))
        .expect("connect");
    let raw = rt.block_on(raw_connection(server.url()));
    let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    let keys = &keys;
    let mut group = c.benchmark_group("pipelines");
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));
        let case = format!("sequential-{n}");
        group.bench_with_input(BenchmarkId::new("kvdb", &case), &n, |b, &n| {
            b.to_async(&rt).iter(|| async {
                for (i, key) in keys.iter().enumerate().take(n) {
                    store.set(key, i).await.expect("set");
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("raw", &case), &n, |b, &n| {
            b.to_async(&rt).iter(|| async {
                let mut conn = raw.clone();
                for (i, key) in keys.iter().enumerate().take(n) {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(i)
                        .exec_async(&mut conn)
                        .await
                        .expect("set");
                }
            })
        });
        for atomic in [false, true] {
            let case = format!("{}-{n}", if atomic { "atomic" } else { "pipeline" });
            group.bench_with_input(BenchmarkId::new("kvdb", &case), &n, |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let mut pipe = Pipeline::new();
                    if atomic {
                        pipe.atomic();
                    }
                    for (i, key) in keys.iter().enumerate().take(n) {
                        pipe.set(key, i).ignore();
                    }
                    pipe.exec(&store).await.expect("pipeline");
                })
            });
            group.bench_with_input(BenchmarkId::new("raw", &case), &n, |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let mut conn = raw.clone();
                    let mut pipe = redis::pipe();
                    if atomic {
                        pipe.atomic();
                    }
                    for (i, key) in keys.iter().enumerate().take(n) {
                        pipe.set(key, i).ignore();
                    }
                    pipe.exec_async(&mut conn).await.expect("pipeline");
                })
            });
        }
    }
    group.finish();
}

fn concurrency(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let store = Arc::new(
        rt.block_on(RedisStore::connect(server.url()))
            .expect("connect"),
    );
    let raw = rt.block_on(raw_connection(server.url()));
    let pool = rt.block_on(async {
        let manager = bb8_redis::RedisConnectionManager::new(server.url()).expect("manager");
        bb8::Pool::builder().build(manager).await.expect("pool")
    });
    rt.block_on(store.set("hot", "value")).expect("set");
    let mut group = c.benchmark_group("concurrency");

    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("kvdb", "get-1-task"), |b| {
        b.to_async(&rt)
            .iter(|| async { store.get::<_, String>("hot").await.expect("get") })
    });
    group.bench_function(BenchmarkId::new("raw", "get-1-task"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            redis::cmd("GET")
                .arg("hot")
                .query_async::<String>(&mut conn)
                .await
                .expect("get")
        })
    });

    for tasks in [1usize, 8, 64] {
        let case = format!("set-{tasks}-tasks");
        group.throughput(Throughput::Elements((tasks * OPS_PER_TASK) as u64));
        group.bench_function(BenchmarkId::new("kvdb", &case), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let store = store.clone();
                async move {
                    fan_out(iters, tasks, move |task, i| {
                        let store = store.clone();
                        async move { store.set(format!("t{task}:{i}"), i).await.expect("set") }
                    })
                    .await
                }
            })
        });
        group.bench_function(BenchmarkId::new("raw", &case), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let raw = raw.clone();
                async move {
                    fan_out(iters, tasks, move |task, i| {
                        let mut conn = raw.clone();
                        async move {
                            redis::cmd("SET")
                                .arg(format!("t{task}:{i}"))
                                .arg(i)
                                .exec_async(&mut conn)
                                .await
                                .expect("set")
                        }
                    })
                    .await
                }
            })
        });
        group.bench_function(BenchmarkId::new("bb8-pool", &case), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let pool = pool.clone();
                async move {
                    fan_out(iters, tasks, move |task, i| {
                        let pool = pool.clone();
                        async move {
                            let mut conn = pool.get().await.expect("checkout");
                            redis::cmd("SET")
                                .arg(format!("t{task}:{i}"))
                                .arg(i)
                                .exec_async(&mut *conn)
                                .await
                                .expect("set")
                        }
                    })
                    .await
                }
            })
        });
    }
    group.finish();
}

fn scripts(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let store = rt
        .block_on(RedisStore::connect(server.url()))
        .expect("connect");
    let raw = rt.block_on(raw_connection(server.url()));
    let ours = Script::new(INCR_LUA);
    let theirs = redis::Script::new(INCR_LUA);
    rt.block_on(ours.load(&store)).expect("load");
    let programs = tempfile::tempdir().expect("temp dir");
    std::fs::write(programs.path().join("incr.lua"), INCR_LUA).expect("write program");
    let (lua, _) = rt
        .block_on(LuaContainer::load(
            Arc::new(store.clone()),
            LuaOptions::default().dir(programs.path()),
        ))
        .expect("load programs");
    let mut group = c.benchmark_group("scripts");

    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("kvdb", "evalsha"), |b| {
        b.to_async(&rt).iter(|| async {
            lua.run_lua::<i64>("incr", &["n"], &["1"])
                .await
                .expect("run_lua")
        })
    });
    group.bench_function(BenchmarkId::new("kvdb-script", "evalsha"), |b| {
        b.to_async(&rt).iter(|| async {
            ours.invoke::<_, _, _, i64>(&store, &["n"], &[1])
                .await
                .expect("script")
        })
    });
    group.bench_function(BenchmarkId::new("raw", "evalsha"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            theirs
                .key("n")
                .arg(1)
                .invoke_async::<i64>(&mut conn)
                .await
                .expect("script")
        })
    });
    group.bench_function(BenchmarkId::new("eval-body", "evalsha"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            redis::cmd("EVAL")
                .arg(INCR_LUA)
                .arg(1)
                .arg("n")
                .arg(1)
                .query_async::<i64>(&mut conn)
                .await
                .expect("eval")
        })
    });

    let n = 100;
    group.throughput(Throughput::Elements(n));
    group.bench_function(BenchmarkId::new("kvdb", "pipeline-100"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut pipe = Pipeline::new();
            for _ in 0..n {
                lua.add_to_pipeline(&mut pipe, "incr", &["n"], &["1"])
                    .expect("program");
                pipe.ignore();
            }
            pipe.exec(&store).await.expect("pipeline")
        })
    });
    group.bench_function(BenchmarkId::new("raw", "pipeline-100"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            let mut pipe = redis::pipe();
            for _ in 0..n {
                pipe.cmd("EVALSHA")
                    .arg(theirs.get_hash())
                    .arg(1)
                    .arg("n")
                    .arg(1)
                    .ignore();
            }
            pipe.exec_async(&mut conn).await.expect("pipeline")
        })
    });
    group.finish();
}

/// Runs `iters` rounds of `tasks` concurrent tasks doing `OPS_PER_TASK` operations each, and
/// returns the total time.
async fn fan_out<F, Fut>(iters: u64, tasks: usize, op: F) -> Duration
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    for _ in 0..iters {
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                let op = op.clone();
                tokio::spawn(async move {
                    for i in 0..OPS_PER_TASK {
                        op(task, i).await;
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

fn main() {
    let server = BenchServer::start();
    let mut c = criterion();
    pipelines(&mut c, &server);
    concurrency(&mut c, &server);
    scripts(&mut c, &server);
    c.final_summary();
}
