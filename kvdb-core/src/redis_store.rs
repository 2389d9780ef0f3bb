//! [`RedisStore`]: the Redis backend of [`KvStore`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionLike;
use redis::{Cmd, Pipeline, RedisError, Value};

use crate::address::{display_addr, redact_url};
use crate::error::command_name;
use crate::redis_dedicated::{DedicatedManager, DedicatedRedis};
use crate::redis_pubsub::{Reconnect, RedisPubSub};
use crate::redis_shared::SharedConnection;
use crate::routing::{route, Route};
use crate::{
    DedicatedConnection, Error, KvStore, Namespace, RedisStoreOptions, Result, Subscription,
};

/// A [`KvStore`] on a Redis server.
///
/// Calls from any number of tasks share one multiplexed connection (implicit pipelining: no
/// pool checkout, no PING per call), which reconnects by itself when the server comes back.
/// Blocking commands and WATCH transactions get connections of their own from a bb8 pool,
/// and each subscription has its own connection. Cloning is cheap and shares everything.
///
/// URLs: `redis://[user[:password]@]host[:port][/db]`, `unix:///path/to/socket[?db=N&pass=..]`,
/// and `rediss://` with the `tls` feature.
///
/// ```no_run
/// use kvdb_core::{KvStoreExt, RedisStore, RedisStoreOptions};
///
/// # async fn run() -> kvdb_core::Result<()> {
/// let store = RedisStore::connect_with(
///     "redis://127.0.0.1:6379/0",
///     RedisStoreOptions::default().namespace("my-app"),
/// )
/// .await?;
/// store.set("my-key", "my-value").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    shared: SharedConnection,
    pool: bb8::Pool<DedicatedManager>,
    options: RedisStoreOptions,
    addr: String,
}

impl RedisStore {
    /// Connects with default options. Fails within the connect timeout (2 s) with
    /// [`Error::Connect`] or [`Error::Auth`] when the server cannot be reached or refuses the
    /// credentials, and with [`Error::InvalidUrl`] for a URL it cannot use.
    pub async fn connect(url: &str) -> Result<RedisStore> {
        RedisStore::connect_with(url, RedisStoreOptions::default()).await
    }

    /// Connects with these options.
    pub async fn connect_with(url: &str, options: RedisStoreOptions) -> Result<RedisStore> {
        let addr = display_addr(url);
        let client = open_client(url, &options)?;
        preflight(&client, &addr, url, options.connect_timeout).await?;

        let mut config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(options.connect_timeout));
        config = config.set_response_timeout(options.response_timeout);
        let shared = tokio::time::timeout(
            options.connect_timeout,
            SharedConnection::connect(client.clone(), config, options.reconnect_max_delay),
        )
        .await
        .map_err(|_| connect_timeout(&addr, options.connect_timeout))?
        .map_err(|e| connect_error(&addr, url, e))?;

        let manager = DedicatedManager {
            redis: bb8_redis::RedisConnectionManager::new(client.get_connection_info().clone())
                .map_err(|e| invalid_url(url, e))?,
        };
        let pool = bb8::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(None)
            // A PING per checkout halves throughput (REFERENCE.md); broken connections are
            // found by `has_broken` instead.
            .test_on_check_out(false)
            .connection_timeout(options.connect_timeout)
            .build_unchecked(manager);

        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shared,
                pool,
                options,
                addr,
            }),
        })
    }

    /// The server's address, without credentials.
    pub fn address(&self) -> &str {
        &self.inner.addr
    }

    /// The options the store was made with.
    pub fn options(&self) -> &RedisStoreOptions {
        &self.inner.options
    }

    async fn checkout(&self) -> Result<DedicatedRedis> {
        let conn = self.inner.pool.get_owned().await.map_err(|e| match e {
            bb8::RunError::User(err) => connect_error(&self.inner.addr, "", err),
            bb8::RunError::TimedOut => Error::Pool(format!(
                "all {} dedicated connections to {} are in use or cannot be made (waited {:?})",
                self.inner.options.pool_size, self.inner.addr, self.inner.options.connect_timeout
            )),
        })?;
        Ok(DedicatedRedis {
            conn,
            response_timeout: self.inner.options.response_timeout,
        })
    }

    fn map_err(&self, command: &str, err: RedisError) -> Error {
        Error::from_redis(command, err, self.inner.options.response_timeout)
    }
}

#[async_trait]
impl KvStore for RedisStore {
    async fn req_command(&self, cmd: &Cmd) -> Result<Value> {
        let value = match route(cmd) {
            Route::Shared => {
                let mut lease = self.inner.shared.lease();
                let result = lease.conn.send_packed_command(cmd).await;
                self.inner.shared.observe(&lease, &result);
                result
            }
            Route::Blocking(_) => {
                let mut conn = self.checkout().await?;
                conn.req_packed_command(cmd).await
            }
            Route::Stateful => {
                return Err(Error::Usage(format!(
                    "{} changes the connection's state, so it cannot run on the shared \
                     connection: use store.dedicated() (or store.subscribe() for pub/sub)",
                    command_name(cmd)
                )))
            }
        };
        value
            .and_then(Value::extract_error)
            .map_err(|e| self.map_err(&command_name(cmd), e))
    }

    async fn req_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Value>> {
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        let (offset, count) = if pipe.is_transaction() {
            (pipe.len() + 1, 1)
        } else {
            (0, pipe.len())
        };
        let needs_own_connection = pipe.cmd_iter().any(|cmd| route(cmd) != Route::Shared);
        let mut replies = if needs_own_connection {
            let mut conn = self.checkout().await?;
            conn.req_packed_commands(pipe, offset, count).await
        } else {
            let mut lease = self.inner.shared.lease();
            let result = lease.conn.send_packed_commands(pipe, offset, count).await;
            self.inner.shared.observe(&lease, &result);
            result
        }
        .map_err(|e| self.map_err("pipeline", e))?;
        if !pipe.is_transaction() {
            return Ok(replies);
        }
        match replies.pop() {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::Nil) => Err(Error::TransactionAborted),
            Some(Value::ServerError(err)) => Err(Error::from_server_error("EXEC", &err)),
            other => Err(Error::Response {
                command: String::from("EXEC"),
                reason: format!("expected an array of replies, got {other:?}"),
            }),
        }
    }

    async fn dedicated(&self) -> Result<DedicatedConnection> {
        let conn = self.checkout().await?;
        Ok(DedicatedConnection::new(
            Box::new(conn),
            self.inner.addr.clone(),
        ))
    }

    async fn subscribe(&self) -> Result<Subscription> {
        let timeout = self.inner.options.connect_timeout;
        let pubsub = tokio::time::timeout(timeout, self.inner.client.get_async_pubsub())
            .await
            .map_err(|_| connect_timeout(&self.inner.addr, timeout))?
            .map_err(|e| connect_error(&self.inner.addr, "", e))?;
        let backend = RedisPubSub::start(
            pubsub,
            Reconnect {
                client: self.inner.client.clone(),
                connect_timeout: timeout,
                max_delay: self.inner.options.reconnect_max_delay,
            },
        );
        Ok(Subscription::new(Box::new(backend)))
    }

    fn namespace(&self) -> &Namespace {
        &self.inner.options.namespace
    }

    fn describe(&self) -> String {
        format!("redis at {}", self.inner.addr)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("addr", &self.inner.addr)
            .field("namespace", &self.inner.options.namespace)
            .finish_non_exhaustive()
    }
}

fn open_client(url: &str, options: &RedisStoreOptions) -> Result<redis::Client> {
    let needs_tls = url.starts_with("rediss://") || options.tls_root_certificate.is_some();
    if needs_tls && !cfg!(feature = "tls") {
        return Err(Error::InvalidUrl {
            url: redact_url(url),
            reason: String::from(
                "TLS (rediss://, a root certificate) needs kvdb-core's `tls` cargo feature",
            ),
        });
    }
    #[cfg(feature = "tls")]
    if let Some(pem) = &options.tls_root_certificate {
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        };
        return redis::Client::build_with_tls(url, certificates).map_err(|e| invalid_url(url, e));
    }
    redis::Client::open(url).map_err(|e| invalid_url(url, e))
}

/// Makes one connection and sends PING, so that a closed port, a wrong password or a missing
/// one fails here, within the connect timeout, with a clear error.
async fn preflight(client: &redis::Client, addr: &str, url: &str, timeout: Duration) -> Result<()> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    let attempt = async {
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => Err(connect_timeout(addr, timeout)),
        Ok(Err(e)) if e.is_timeout() => Err(connect_timeout(addr, timeout)),
        Ok(Err(e)) => Err(connect_error(addr, url, e)),
        Ok(Ok(_)) => Ok(()),
    }
}

fn invalid_url(url: &str, err: RedisError) -> Error {
    Error::InvalidUrl {
        url: redact_url(url),
        reason: scrub(&err.to_string(), url),
    }
}

fn connect_timeout(addr: &str, after: Duration) -> Error {
    Error::Connect {
        addr: addr.to_owned(),
        reason: format!("no answer within the connect timeout ({after:?})"),
    }
}

fn connect_error(addr: &str, url: &str, err: RedisError) -> Error {
    let auth = matches!(err.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
        || err.kind() == redis::ErrorKind::AuthenticationFailed;
    let reason = scrub(&err.to_string(), url);
    if auth {
        Error::Auth {
            addr: addr.to_owned(),
            reason,
        }
    } else {
        Error::Connect {
            addr: addr.to_owned(),
            reason,
        }
    }
}

/// Removes the URL's password from a message, should a library ever echo it.
fn scrub(message: &str, url: &str) -> String {
    match password_of(url) {
        Some(password) if !password.is_empty() => message.replace(password, "***"),
        _ => message.to_owned(),
    }
}

fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        return userinfo.split_once(':').map(|(_, password)| password);
    }
    let query = rest.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        pair.strip_prefix("pass=")
            .or_else(|| pair.strip_prefix("password="))
    })
}
