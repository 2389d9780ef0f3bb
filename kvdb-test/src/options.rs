//! [`ServerOptions`]: how a [`RedisServer`](crate::RedisServer) is started.

/// How a [`RedisServer`](crate::RedisServer) is started. `ServerOptions::default()` is a plain server with no
/// password and no persistence.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ServerOptions {
    /// `requirepass`: the default user needs this password.
    pub password: Option<String>,
    /// An ACL user (name, password) with every permission, besides the default user.
    pub acl_user: Option<(String, String)>,
    /// Append-only file with `appendfsync always`, so that a restart loses nothing acknowledged.
    pub aof: bool,
    /// Also listen on a unix socket in the server's directory.
    pub unix_socket: bool,
    /// Also listen with TLS on a second port, with a certificate for 127.0.0.1 signed by a
    /// test CA, both made by the `openssl` command (see [`RedisServer::tls_url`](crate::RedisServer::tls_url)).
    pub tls: bool,
    /// Further `--name value` arguments for redis-server.
    pub extra_args: Vec<String>,
}

impl ServerOptions {
    /// Requires this password for the default user.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Adds an ACL user with every permission.
    pub fn acl_user(mut self, user: &str, password: &str) -> Self {
        self.acl_user = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Turns the append-only file on (`appendfsync always`).
    pub fn aof(mut self) -> Self {
        self.aof = true;
        self
    }

    /// Listens with TLS too, on a second port (see [`RedisServer::tls_url`](crate::RedisServer::tls_url) and
    /// [`RedisServer::tls_certificate`](crate::RedisServer::tls_certificate)). Needs the `openssl` command.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Listens on a unix socket too (see [`RedisServer::socket_path`](crate::RedisServer::socket_path)).
    pub fn unix_socket(mut self) -> Self {
        self.unix_socket = true;
        self
    }
}
