//! Bad URLs, closed ports and wrong passwords fail fast and clearly, never showing a password.

use std::time::{Duration, Instant};

use kvdb_core::{Error, KvStoreExt, RedisStore, RedisStoreOptions};
use kvdb_test::{RedisServer, ServerOptions};

#[tokio::test]
async fn closed_port_fails_fast() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let err = RedisStore::connect_with(
        &format!("redis://127.0.0.1:{port}"),
        RedisStoreOptions::default().connect_timeout(Duration::from_secs(1)),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unroutable_address_fails_within_the_connect_timeout() {
    // 127.0.0.1 with a port nobody listens on refuses at once; a listener that never
    // answers shows the timeout itself.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let err = RedisStore::connect_with(
        &format!("redis://127.0.0.1:{port}"),
        RedisStoreOptions::default().connect_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("connect timeout"), "{err}");
    drop(listener);
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() {
    let server = RedisServer::start_with(ServerOptions::default().password("right-secret"));
    let url = format!("redis://:wrong-secret@127.0.0.1:{}", server.port());
    let err = RedisStore::connect(&url).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("wrong-secret"), "{shown}");
        assert!(!shown.contains("right-secret"), "{shown}");
    }

    let missing = RedisStore::connect(&server.url_without_password())
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Auth { .. }), "{missing:?}");

    let store = RedisStore::connect(&server.url()).await.unwrap();
    store.set("k", "v").await.unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains("right-secret"), "{debug}");
}

#[tokio::test]
async fn acl_user_and_database_number() {
    let server = RedisServer::start_with(ServerOptions::default().acl_user("app", "app-secret"));
    let url = format!("redis://app:app-secret@127.0.0.1:{}/3", server.port());
    let store = RedisStore::connect(&url).await.unwrap();
    store.set("in-db-3", 1).await.unwrap();
    let info = store.info_section("keyspace").await.unwrap();
    assert_eq!(info.keyspace()["db3"].keys, 1);
    assert!(!store.address().contains("app-secret"));
}

#[tokio::test]
async fn unix_socket() {
    let server = RedisServer::start_with(ServerOptions::default().unix_socket());
    let path = server.socket_path().unwrap();
    let store = RedisStore::connect(&format!("unix://{}", path.display()))
        .await
        .unwrap();
    store.set("over-socket", 1).await.unwrap();
    assert_eq!(store.get::<_, i64>("over-socket").await.unwrap(), 1);
}

#[tokio::test]
async fn bad_urls_are_refused_with_the_reason() {
    for url in ["http://127.0.0.1:6379", "not a url", "redis://:pw@[::1"] {
        let err = RedisStore::connect(url).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{url}: {err:?}");
        assert!(!err.to_string().contains(":pw@"), "{err}");
    }
    #[cfg(not(feature = "tls"))]
    {
        let err = RedisStore::connect("rediss://127.0.0.1:6380")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("tls"), "{err}");
    }
}
