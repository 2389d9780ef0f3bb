//! [`RedisStoreOptions`]: how a [`RedisStore`](crate::RedisStore) connects.

use std::time::Duration;

use crate::Namespace;

/// How a [`RedisStore`](crate::RedisStore) connects and behaves. Start from
/// `RedisStoreOptions::default()` and change what you need:
///
/// ```
/// use std::time::Duration;
/// use kvdb_core::RedisStoreOptions;
///
/// let options = RedisStoreOptions::default()
///     .namespace("billing")
///     .response_timeout(Duration::from_secs(2));
/// assert_eq!(options.namespace.prefix(), "billing");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct RedisStoreOptions {
    /// The key namespace feature crates put their keys under. Default `kvdb`.
    pub namespace: Namespace,
    /// How many dedicated connections (blocking commands, WATCH transactions) the pool may
    /// hold at once. Default 16. The shared path needs no pool: it multiplexes every
    /// concurrent call over one connection.
    pub pool_size: u32,
    /// How long making a connection may take before it fails. Default 2 s.
    pub connect_timeout: Duration,
    /// How long a reply may take before the call fails with a timeout. Default 5 s. Blocking
    /// commands get their block time on top of this. `None` waits for ever.
    pub response_timeout: Option<Duration>,
    /// The longest pause between two reconnect attempts after the server went away. Default 1 s.
    pub reconnect_max_delay: Duration,
    /// For `rediss://` URLs: the PEM root certificate to trust instead of the system's
    /// (a private CA, a self-signed server). Needs the `tls` feature. Default none.
    pub tls_root_certificate: Option<Vec<u8>>,
}

impl std::fmt::Debug for RedisStoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreOptions")
            .field("namespace", &self.namespace)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_max_delay", &self.reconnect_max_delay)
            .field(
                "tls_root_certificate",
                &self
                    .tls_root_certificate
                    .as_ref()
                    .map(|pem| format!("{} bytes of PEM", pem.len())),
            )
            .finish()
    }
}

impl Default for RedisStoreOptions {
    fn default() -> Self {
        RedisStoreOptions {
            namespace: Namespace::default(),
            pool_size: 16,
            connect_timeout: Duration::from_secs(2),
            response_timeout: Some(Duration::from_secs(5)),
            reconnect_max_delay: Duration::from_secs(1),
            tls_root_certificate: None,
        }
    }
}

impl RedisStoreOptions {
    /// Sets the key namespace prefix.
    pub fn namespace(mut self, prefix: impl AsRef<str>) -> Self {
        self.namespace = Namespace::new(prefix);
        self
    }

    /// Sets the size of the dedicated-connection pool (at least 1).
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the response timeout.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = Some(timeout);
        self
    }

    /// Waits for replies for ever (blocking commands excepted, nothing needs this).
    pub fn no_response_timeout(mut self) -> Self {
        self.response_timeout = None;
        self
    }

    /// Trusts this PEM root certificate for `rediss://` (needs the `tls` feature).
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root_certificate = Some(pem.into());
        self
    }

    /// Sets the longest pause between reconnect attempts.
    pub fn reconnect_max_delay(mut self, delay: Duration) -> Self {
        self.reconnect_max_delay = delay;
        self
    }
}
