//! kvdb-broker against raw redis-rs: batched sends, end-to-end 1:1 throughput (send, then a
//! worker consumes and acknowledges), and 1:N fan-out to live listeners.
//!
//! Run: `cargo bench -p benches --bench broker`, then `cargo run -p benches --bin bench-report`.
//!
//! The raw side of `end-to-end` is the loop of `kvdb-broker/examples/throughput.rs`: XADD in
//! pipelines of 100, then XREADGROUP COUNT 100 with the XACKs of the previous batch pipelined
//! ahead of the next read. Every case checks that everything sent arrived, so a broken path
//! fails the run instead of measuring nothing.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::{criterion, is_quick, raw_connection, runtime, BenchServer};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use futures_util::StreamExt;
use kvdb_broker::{Broker, Envelope, HandlerError, Invocation, QueueRef, Worker, WorkerOptions};
use kvdb_core::RedisStore;
use redis::aio::MultiplexedConnection;
use serde_json::json;
use tokio::sync::Notify;

/// Messages per send batch (and per raw pipeline, and per raw read).
const BATCH: usize = 100;
/// Live listeners (and raw subscribers) of the fan-out case.
const LISTENERS: usize = 4;
/// The longest any wait for deliveries may take before the bench fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Jobs per end-to-end round.
fn end_to_end_jobs() -> usize {
    if is_quick() {
        2_000
    } else {
        10_000
    }
}

/// Messages published per fan-out round.
fn fanout_messages() -> usize {
    if is_quick() {
        200
    } else {
        1_000
    }
}

/// Counts deliveries per receiver and wakes the bench once all of a round have arrived.
#[derive(Debug)]
struct Tally {
    counts: Vec<AtomicUsize>,
    total: AtomicUsize,
    target: AtomicUsize,
    done: Notify,
}

impl Tally {
    fn new(receivers: usize) -> Arc<Tally> {
        Arc::new(Tally {
            counts: (0..receivers).map(|_| AtomicUsize::new(0)).collect(),
            total: AtomicUsize::new(0),
            target: AtomicUsize::new(usize::MAX),
            done: Notify::new(),
        })
    }

    /// Starts a round in which `target` deliveries are expected in all. Only call it once the
    /// previous round is complete.
    fn reset(&self, target: usize) {
        for count in &self.counts {
            count.store(0, Ordering::SeqCst);
        }
        self.total.store(0, Ordering::SeqCst);
        self.target.store(target, Ordering::SeqCst);
    }

    /// One delivery to `receiver`.
    fn hit(&self, receiver: usize) {
        self.counts[receiver].fetch_add(1, Ordering::Relaxed);
        if self.total.fetch_add(1, Ordering::AcqRel) + 1 >= self.target.load(Ordering::Acquire) {
            self.done.notify_one();
        }
    }

    /// Waits until the round's deliveries have all arrived, then checks that each receiver got
    /// `each`.
    async fn wait(&self, what: &str, each: usize) {
        let target = self.target.load(Ordering::SeqCst);
        within(what, async {
            while self.total.load(Ordering::Acquire) < target {
                self.done.notified().await;
            }
        })
        .await;
        for (receiver, count) in self.counts.iter().enumerate() {
            let count = count.load(Ordering::SeqCst);
            assert_eq!(
                count, each,
                "{what}: receiver {receiver} got {count} of {each}"
            );
        }
    }
}

/// Runs `future`, failing the bench if it takes longer than [`PATIENCE`].
async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not done after {PATIENCE:?}"),
    }
}

fn send_batch(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let broker = rt.block_on(broker(server.url()));
    let raw = rt.block_on(raw_connection(server.url()));
    let queue = QueueRef::queue("bench.send");
    let raw_stream = "raw:send";
    let mut group = c.benchmark_group("broker");
    let case = format!("send-batch-{BATCH}");
    group.throughput(Throughput::Elements(BATCH as u64));

    group.bench_function(BenchmarkId::new("kvdb", &case), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (broker, queue) = (broker.clone(), queue.clone());
            async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let batch = (0..BATCH)
                        .map(|n| Invocation::new("bench.send", json!({ "n": n })))
                        .collect();
                    let ids = broker.invoke_batch(batch).await.expect("invoke_batch");
                    assert_eq!(ids.len(), BATCH, "invoke_batch returned too few ids");
                }
                let elapsed = started.elapsed();
                let stored = broker.purge(&queue).await.expect("purge");
                assert_eq!(stored, iters * BATCH as u64, "not every message was stored");
                elapsed
            }
        })
    });
    group.bench_function(BenchmarkId::new("raw", &case), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let mut conn = raw.clone();
            async move {
                let started = Instant::now();
                for _ in 0..iters {
                    raw_send(&mut conn, raw_stream, 0, BATCH).await;
                }
                let elapsed = started.elapsed();
                let (stored,): (u64,) = redis::pipe()
                    .cmd("XLEN")
                    .arg(raw_stream)
                    .cmd("DEL")
                    .arg(raw_stream)
                    .ignore()
                    .query_async(&mut conn)
                    .await
                    .expect("xlen, del");
                assert_eq!(stored, iters * BATCH as u64, "not every message was stored");
                elapsed
            }
        })
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let broker = rt.block_on(broker(server.url()));
    let raw = rt.block_on(raw_connection(server.url()));
    let jobs = end_to_end_jobs();
    // Every round gets queues of its own, so nothing of one round is left for the next.
    let rounds = Arc::new(AtomicU64::new(0));
    let mut group = c.benchmark_group("broker");
    // A round takes tens of milliseconds: the same number of rounds per sample, not 1..=n.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(jobs as u64));

    group.bench_function(BenchmarkId::new("kvdb", "end-to-end"), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (broker, rounds) = (broker.clone(), rounds.clone());
            async move {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    let round = rounds.fetch_add(1, Ordering::Relaxed);
                    measured += kvdb_round(&broker, &format!("bench.e2e.{round}"), jobs).await;
                }
                measured
            }
        })
    });
    group.bench_function(BenchmarkId::new("raw", "end-to-end"), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (mut conn, rounds) = (raw.clone(), rounds.clone());
            async move {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    let round = rounds.fetch_add(1, Ordering::Relaxed);
                    measured += raw_round(&mut conn, &format!("raw:e2e:{round}"), jobs).await;
                }
                measured
            }
        })
    });
    group.finish();
}

/// Sends `jobs` messages to `service` in batches, then starts a worker with a no-op handler;
/// returns the time from the first send until every message was handled and acknowledged.
/// The worker's shutdown and the queue's deletion are not measured.
async fn kvdb_round(broker: &Broker, service: &str, jobs: usize) -> Duration {
    let tally = Tally::new(1);
    tally.reset(jobs);
    let queue = QueueRef::queue(service);
    let counter = tally.clone();
    let started = Instant::now();
    let mut sent = 0;
    while sent < jobs {
        let batch = (sent..(sent + BATCH).min(jobs))
            .map(|n| Invocation::new(service, json!({ "n": n })))
            .collect();
        broker.invoke_batch(batch).await.expect("invoke_batch");
        sent = (sent + BATCH).min(jobs);
    }
    let worker = Worker::new(broker)
        // Only how long an idle worker's read waits, so that the shutdown after the round is
        // quick: the round itself never waits on an empty queue.
        .options(WorkerOptions::default().block(Duration::from_millis(20)))
        .handle(service, move |_envelope: Envelope| {
            counter.hit(0);
            async { Ok::<_, HandlerError>(()) }
        })
        .start()
        .await
        .expect("start the worker");
    tally.wait("end-to-end (kvdb): handled", jobs).await;
    within("end-to-end (kvdb): acknowledged", async {
        while (broker.stats(&queue).await.expect("stats").counters.acked as usize) < jobs {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let elapsed = started.elapsed();

    let report = worker.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.abandoned, 0, "end-to-end (kvdb): handlers cut off");
    let stats = broker.stats(&queue).await.expect("stats");
    assert_eq!(
        (stats.depth, stats.in_flight, stats.dead),
        (0, 0, 0),
        "end-to-end (kvdb): messages left behind"
    );
    assert_eq!(
        stats.counters.acked, jobs as u64,
        "end-to-end (kvdb): acknowledged"
    );
    assert!(
        broker.delete_queue(&queue).await.expect("delete_queue"),
        "end-to-end (kvdb): the queue was not there to delete"
    );
    elapsed
}

/// The raw streams loop of `kvdb-broker/examples/throughput.rs` on a fresh stream: XADD in
/// pipelines of [`BATCH`], then XREADGROUP COUNT [`BATCH`] with the XACKs of the previous
/// batch pipelined ahead of the next read, until all are acknowledged. Making the group and
/// deleting the stream are not measured.
async fn raw_round(conn: &mut MultiplexedConnection, stream: &str, jobs: usize) -> Duration {
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg("g")
        .arg("0")
        .arg("MKSTREAM")
        .exec_async(conn)
        .await
        .expect("xgroup create");
    let started = Instant::now();
    let mut sent = 0;
    while sent < jobs {
        let end = (sent + BATCH).min(jobs);
        raw_send(conn, stream, sent, end).await;
        sent = end;
    }
    let mut done = 0;
    let mut pending_acks: Vec<String> = Vec::new();
    while done < jobs {
        let mut pipe = redis::pipe();
        if !pending_acks.is_empty() {
            pipe.cmd("XACK")
                .arg(stream)
                .arg("g")
                .arg(&pending_acks)
                .ignore();
        }
        pipe.cmd("XREADGROUP")
            .arg("GROUP")
            .arg("g")
            .arg("c")
            .arg("COUNT")
            .arg(BATCH)
            .arg("STREAMS")
            .arg(stream)
            .arg(">");
        let (reply,): (redis::streams::StreamReadReply,) =
            pipe.query_async(conn).await.expect("xack, xreadgroup");
        pending_acks.clear();
        let before = done;
        for key in reply.keys {
            for entry in key.ids {
                pending_acks.push(entry.id);
                done += 1;
            }
        }
        assert!(
            done > before,
            "end-to-end (raw): the stream ran dry at {done} of {jobs}"
        );
    }
    let acked: usize = redis::cmd("XACK")
        .arg(stream)
        .arg("g")
        .arg(&pending_acks)
        .query_async(conn)
        .await
        .expect("xack");
    let elapsed = started.elapsed();

    assert_eq!(acked, pending_acks.len(), "end-to-end (raw): acknowledged");
    let (pending,): (redis::streams::StreamPendingReply,) = redis::pipe()
        .cmd("XPENDING")
        .arg(stream)
        .arg("g")
        .cmd("DEL")
        .arg(stream)
        .ignore()
        .query_async(conn)
        .await
        .expect("xpending, del");
    assert_eq!(
        pending.count(),
        0,
        "end-to-end (raw): unacknowledged entries"
    );
    elapsed
}

/// XADDs the jobs `from..to` to `stream` in one pipeline.
async fn raw_send(conn: &mut MultiplexedConnection, stream: &str, from: usize, to: usize) {
    let mut pipe = redis::pipe();
    for n in from..to {
        pipe.cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("job")
            .arg(format!("{{\"n\":{n}}}"))
            .ignore();
    }
    pipe.exec_async(conn).await.expect("xadd pipeline");
}

fn publish_fanout(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let broker = rt.block_on(broker(server.url()));
    let raw = rt.block_on(raw_connection(server.url()));
    let messages = fanout_messages();
    let topic = "bench.fanout";
    let channel = "raw:fanout";

    // LISTENERS kvdb listeners and LISTENERS raw subscribers, each on its own connection,
    // counting what they receive for the whole run.
    let ours = Tally::new(LISTENERS);
    let theirs = Tally::new(LISTENERS);
    let client = redis::Client::open(server.url()).expect("url");
    rt.block_on(async {
        for receiver in 0..LISTENERS {
            let mut listener = broker.listen(topic).await.expect("listen");
            let tally = ours.clone();
            tokio::spawn(async move {
                while let Some(envelope) = listener.next().await {
                    assert_eq!(envelope.target, topic, "a publication of another topic");
                    tally.hit(receiver);
                }
            });
            let mut pubsub = client.get_async_pubsub().await.expect("pubsub");
            pubsub.subscribe(channel).await.expect("subscribe");
            let tally = theirs.clone();
            tokio::spawn(async move {
                let mut messages = pubsub.into_on_message();
                while messages.next().await.is_some() {
                    tally.hit(receiver);
                }
            });
        }
        // Everyone is subscribed: one publication reaches all of them.
        ours.reset(LISTENERS);
        let published = broker
            .publish(topic, json!({ "n": 0 }))
            .await
            .expect("publish");
        assert_eq!(published.listeners, LISTENERS as u64, "kvdb listeners");
        ours.wait("publish-fanout (kvdb): ready", 1).await;
        theirs.reset(LISTENERS);
        let receivers: u64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg("{\"n\":0}")
            .query_async(&mut raw.clone())
            .await
            .expect("publish");
        assert_eq!(receivers, LISTENERS as u64, "raw subscribers");
        theirs.wait("publish-fanout (raw): ready", 1).await;
    });

    let mut group = c.benchmark_group("broker");
    let case = format!("publish-fanout-{LISTENERS}");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(messages as u64));
    group.bench_function(BenchmarkId::new("kvdb", &case), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (broker, tally) = (broker.clone(), ours.clone());
            async move {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    tally.reset(LISTENERS * messages);
                    let started = Instant::now();
                    for n in 0..messages {
                        broker
                            .publish(topic, json!({ "n": n }))
                            .await
                            .expect("publish");
                    }
                    tally.wait("publish-fanout (kvdb)", messages).await;
                    measured += started.elapsed();
                }
                measured
            }
        })
    });
    group.bench_function(BenchmarkId::new("raw", &case), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (mut conn, tally) = (raw.clone(), theirs.clone());
            async move {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    tally.reset(LISTENERS * messages);
                    let started = Instant::now();
                    for n in 0..messages {
                        redis::cmd("PUBLISH")
                            .arg(channel)
                            .arg(format!("{{\"n\":{n}}}"))
                            .exec_async(&mut conn)
                            .await
                            .expect("publish");
                    }
                    tally.wait("publish-fanout (raw)", messages).await;
                    measured += started.elapsed();
                }
                measured
            }
        })
    });
    group.finish();
}

async fn broker(url: &str) -> Broker {
    Broker::new(Arc::new(RedisStore::connect(url).await.expect("connect")))
}

fn main() {
    let server = BenchServer::start();
    let mut c = criterion();
    send_batch(&mut c, &server);
    end_to_end(&mut c, &server);
    publish_fanout(&mut c, &server);
    c.final_summary();
}
