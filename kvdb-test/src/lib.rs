//! Test support for kvdb: [`RedisServer`] starts a private `redis-server` on a free port in a
//! temporary directory and kills it when dropped, so tests run in parallel, each against a
//! server of its own that it may stop, restart, or start with a password.
//!
//! # Example
//!
//! ```no_run
//! use kvdb_test::RedisServer;
//!
//! let mut server = RedisServer::start();
//! let url = server.url(); // redis://127.0.0.1:PORT
//! // ... connect, use ...
//! server.restart(); // same port, same data directory
//! ```
//!
//! The binary is `redis-server` from `PATH`, or the one `KVDB_REDIS_SERVER` names. When a
//! test panics while the server is alive, the server's log is printed with the failure.

mod certificate;
mod options;
mod server;

pub use options::ServerOptions;
pub use server::RedisServer;
