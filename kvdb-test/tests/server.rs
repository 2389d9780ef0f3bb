//! The server itself: restart on the same port keeps an AOF's data; the log is readable.

use kvdb_test::{RedisServer, ServerOptions};

#[test]
fn restart_keeps_the_port_and_an_aof_keeps_the_data() {
    let mut server = RedisServer::start_with(ServerOptions::default().aof());
    let port = server.port();
    assert_eq!(server.raw_command(&["SET", "k", "v"]), "+OK");
    server.restart();
    assert_eq!(server.port(), port);
    assert_eq!(server.raw_command(&["GET", "k"]), "v");
    assert!(server.log().contains("Ready to accept connections"));
    server.kill();
    assert!(!server.is_running());
}

#[test]
fn a_password_is_required_when_set() {
    let server = RedisServer::start_with(ServerOptions::default().password("s3cret"));
    assert!(server.url().contains(":s3cret@"));
    assert!(!server.url_without_password().contains("s3cret"));
    // raw_command authenticates with the password.
    assert_eq!(server.raw_command(&["PING"]), "+PONG");
}
