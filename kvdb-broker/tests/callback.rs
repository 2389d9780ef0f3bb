//! Callbacks: the handler's result goes to the callback service, correlated.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{broker, fast, wait_for};
use kvdb_broker::{
    Envelope, HandlerError, InvokeOptions, QueueRef, Worker, CALLBACK_OF, CORRELATION_ID,
};
use kvdb_test::RedisServer;
use serde_json::json;

#[tokio::test]
async fn the_callback_service_receives_the_result_with_the_original_id() {
    let server = RedisServer::start();
    let broker = broker(&server).await;
    let results: Arc<Mutex<Vec<Envelope>>> = Arc::default();
    let seen = results.clone();
    let worker = Worker::new(&broker)
        .options(fast())
        .handle("orders.create", |envelope: Envelope| async move {
            let order: serde_json::Value = envelope.json()?;
            Ok::<_, HandlerError>(json!({"created": order["id"], "total": 42}))
        })
        .handle("orders.created", move |envelope: Envelope| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(envelope);
                Ok::<_, HandlerError>(())
            }
        })
        .start()
        .await
        .unwrap();
    let options = InvokeOptions::default()
        .callback("orders.created")
        .header("tenant", "acme");
    let id = broker
        .invoke_async_with("orders.create", json!({"id": 7}), options)
        .await
        .unwrap();
    // Without a callback, the result goes nowhere.
    broker
        .invoke_async("orders.create", json!({"id": 8}))
        .await
        .unwrap();
    wait_for(Duration::from_secs(5), "the callback", || async {
        !results.lock().unwrap().is_empty()
    })
    .await;
    wait_for(Duration::from_secs(5), "both orders acked", || async {
        broker
            .stats(&QueueRef::queue("orders.create"))
            .await
            .unwrap()
            .counters
            .acked
            == 2
    })
    .await;
    let results = results.lock().unwrap().clone();
    assert_eq!(results.len(), 1);
    let callback = &results[0];
    assert_eq!(callback.target, "orders.created");
    assert_eq!(callback.payload, json!({"created": 7, "total": 42}).into());
    assert_eq!(callback.header(CORRELATION_ID), Some(id.as_str()));
    assert_eq!(callback.header(CALLBACK_OF), Some("orders.create"));
    assert_ne!(callback.id, id);
    worker.shutdown(Duration::from_secs(1)).await;
}
