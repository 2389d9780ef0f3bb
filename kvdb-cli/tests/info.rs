//! `kvdb info` and the errors every command shares.

mod support;

use kvdb_test::{RedisServer, ServerOptions};
use support::{kvdb, kvdb_at};

#[test]
fn info_human_and_json() {
    let server = RedisServer::start();
    server.raw_command(&["SET", "a", "1"]);
    server.raw_command(&["SET", "b", "2"]);

    let human = kvdb(&server, "t", &["info"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stdout.contains("redis_version"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .lines()
            .any(|l| l.starts_with("db0") && l.contains('2')),
        "{}",
        human.stdout
    );

    let json = kvdb(&server, "t", &["--json", "info"]).json();
    assert_eq!(json["keyspace"]["db0"]["keys"], 2);
    assert_eq!(json["keyspace"]["db0"]["expires"], 0);
    assert!(json["server"]["redis_version"].is_string());
    assert!(json["clients"]["connected_clients"].is_i64());

    let section = kvdb(&server, "t", &["--json", "info", "--section", "memory"]).json();
    assert!(section["memory"]["used_memory"].is_i64());
    assert!(section.get("server").is_none());
}

#[test]
fn refused_connection_says_what_to_do_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = kvdb_at(
        &format!("redis://:hunter2@127.0.0.1:{port}"),
        "t",
        &["info"],
    );
    assert_eq!(run.code, 3);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("redis-server"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn wrong_password_is_an_auth_error() {
    let server = RedisServer::start_with(ServerOptions::default().password("right"));
    let run = kvdb_at(
        &format!("redis://:wrong@127.0.0.1:{}", server.port()),
        "t",
        &["info"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("authentication"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("wrong") || !run.stderr.contains(":wrong@"),
        "{}",
        run.stderr
    );
}
