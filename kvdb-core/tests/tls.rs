//! rediss:// against a real TLS server (run with `--features tls`; CI does).

#![cfg(feature = "tls")]

use std::time::Duration;

use kvdb_core::{Error, KvStore, KvStoreExt, RedisStore, RedisStoreOptions};
use kvdb_test::{RedisServer, ServerOptions};

#[tokio::test]
async fn a_store_over_tls_does_everything_a_plain_one_does() {
    let server = RedisServer::start_with(ServerOptions::default().tls());
    let url = server.tls_url().expect("tls url");
    let options = RedisStoreOptions::default()
        .tls_root_certificate(server.tls_certificate().expect("certificate"));
    let store = RedisStore::connect_with(&url, options).await.unwrap();

    store.set("over-tls", "yes").await.unwrap();
    assert_eq!(store.get::<_, String>("over-tls").await.unwrap(), "yes");
    // The dedicated pool and pub/sub use TLS too.
    let popped: Option<(String, String)> = store
        .query(redis::cmd("BLPOP").arg("nothing").arg(1))
        .await
        .unwrap();
    assert_eq!(popped, None);
    let mut sub = store.subscribe().await.unwrap();
    sub.subscribe("news").await.unwrap();
    store.publish("news", "hello").await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(5), sub.next_message())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.payload, b"hello");
    // And the plain port sees the same data: it is one server.
    assert_eq!(server.raw_command(&["GET", "over-tls"]), "yes");
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_clear_connect_error() {
    let server = RedisServer::start_with(ServerOptions::default().tls());
    let url = server.tls_url().expect("tls url");
    let err = RedisStore::connect(&url).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let message = err.to_string().to_lowercase();
    assert!(
        message.contains("certificate") || message.contains("issuer"),
        "{message}"
    );
}
