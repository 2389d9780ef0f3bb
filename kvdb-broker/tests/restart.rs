//! The server restarts while messages flow: with AOF on, nothing sent is lost.

mod common;

use std::time::Duration;

use common::{broker, fast, wait_for, Tally};
use kvdb_broker::{Envelope, HandlerError, Invocation, QueueRef, Worker};
use kvdb_test::{RedisServer, ServerOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_5000_messages_flow_loses_none() {
    let mut server = RedisServer::start_with(ServerOptions::default().aof());
    let broker = broker(&server).await;
    let tally = Tally::default();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let tally = tally.clone();
        let worker = Worker::new(&broker)
            .options(fast().concurrency(32).batch_size(32))
            .handle("flow", move |envelope: Envelope| {
                let tally = tally.clone();
                async move {
                    tally.add(&envelope.payload.to_json::<u64>()?.to_string());
                    Ok::<_, HandlerError>(())
                }
            })
            .start()
            .await
            .unwrap();
        workers.push(worker);
    }
    let sender = {
        let broker = broker.clone();
        tokio::spawn(async move {
            let mut failures = 0;
            for chunk in (0..5_000u64).collect::<Vec<_>>().chunks(50) {
                loop {
                    let batch = chunk
                        .iter()
                        .map(|n| Invocation::new("flow", json!(n)))
                        .collect();
                    match broker.invoke_batch(batch).await {
                        Ok(_) => break,
                        Err(err) => {
                            assert!(err.is_retryable(), "{err}");
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            failures
        })
    };
    wait_for(Duration::from_secs(10), "traffic", || async {
        tally.total() > 1_000
    })
    .await;
    tokio::task::block_in_place(|| {
        server.kill();
        server.start_again();
    });
    let failures = sender.await.unwrap();
    wait_for(Duration::from_secs(30), "every message handled", || async {
        tally.distinct() == 5_000
    })
    .await;
    assert!(failures > 0, "the restart did not interrupt the senders");
    let stats = broker.stats(&QueueRef::queue("flow")).await.unwrap();
    assert_eq!(stats.dead, 0);
    for worker in workers {
        worker.shutdown(Duration::from_secs(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_carries_on_after_a_server_that_lost_everything() {
    let mut server = RedisServer::start();
    let broker = broker(&server).await;
    let tally = Tally::default();
    let handler_tally = tally.clone();
    let worker = Worker::new(&broker)
        .options(fast())
        .handle("flow", move |envelope: Envelope| {
            let tally = handler_tally.clone();
            async move {
                tally.add(&envelope.payload.to_json::<u64>()?.to_string());
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .unwrap();
    broker.invoke_async("flow", json!(1)).await.unwrap();
    wait_for(Duration::from_secs(5), "the first", || async {
        tally.get("1") == 1
    })
    .await;
    // No persistence: the stream and its group are gone after the restart.
    tokio::task::block_in_place(|| {
        server.kill();
        server.start_again();
    });
    wait_for(Duration::from_secs(10), "the server back", || async {
        broker.invoke_async("flow", json!(2)).await.is_ok()
    })
    .await;
    wait_for(
        Duration::from_secs(10),
        "the worker's group made again",
        || async { tally.get("2") == 1 },
    )
    .await;
    worker.shutdown(Duration::from_secs(1)).await;
}
