//! Without redis-server, starting one says how to install it (its own test binary, because
//! it changes the environment).

use kvdb_test::RedisServer;

#[test]
fn a_missing_binary_says_how_to_install_it() {
    std::env::set_var("KVDB_REDIS_SERVER", "/nonexistent/redis-server");
    let panic = std::panic::catch_unwind(RedisServer::start).expect_err("must not start");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("apt-get install redis-server"),
        "{message}"
    );
    assert!(message.contains("KVDB_REDIS_SERVER"), "{message}");
}
