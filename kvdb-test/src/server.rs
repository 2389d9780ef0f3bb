//! [`RedisServer`]: one private redis-server process.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::certificate::make_certificate;
use crate::ServerOptions;

/// A private redis-server: a free port on 127.0.0.1, a temporary directory, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    tls_port: u16,
    dir: tempfile::TempDir,
    options: ServerOptions,
}

impl RedisServer {
    /// Starts a plain server. Panics with instructions if redis-server cannot be found, and
    /// with the server's log if it does not come up within 10 s.
    pub fn start() -> RedisServer {
        RedisServer::start_with(ServerOptions::default())
    }

    /// Starts a server with these options.
    pub fn start_with(options: ServerOptions) -> RedisServer {
        let mut last_error = String::new();
        // A port found free can be taken by another test before redis binds it: try again.
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("kvdb-test-redis-")
                .tempdir()
                .unwrap_or_else(|e| panic!("cannot create a temp dir for redis-server: {e}"));
            let mut server = RedisServer {
                child: None,
                port: free_port(),
                tls_port: free_port(),
                dir,
                options: options.clone(),
            };
            match server.spawn() {
                Ok(()) => {
                    server.create_acl_user();
                    return server;
                }
                Err(SpawnError::Missing(message)) => panic!("{message}"),
                Err(SpawnError::Failed(message)) => last_error = message,
            }
        }
        panic!("redis-server did not start: {last_error}")
    }

    /// `redis://[:password@]127.0.0.1:PORT` (with the default user's password, if any).
    pub fn url(&self) -> String {
        match &self.options.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// `redis://127.0.0.1:PORT` with no credentials, whatever the server requires.
    pub fn url_without_password(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `rediss://127.0.0.1:TLS_PORT`, when started with [`ServerOptions::tls`].
    pub fn tls_url(&self) -> Option<String> {
        self.options
            .tls
            .then(|| format!("rediss://127.0.0.1:{}", self.tls_port))
    }

    /// The PEM certificate of the test CA that signed the TLS port's certificate (trust it
    /// as a root), when started with [`ServerOptions::tls`].
    pub fn tls_certificate(&self) -> Option<Vec<u8>> {
        self.options
            .tls
            .then(|| std::fs::read(self.dir.path().join("ca.crt")).unwrap_or_default())
    }

    /// The port the server listens on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The unix socket's path, when started with [`ServerOptions::unix_socket`].
    pub fn socket_path(&self) -> Option<PathBuf> {
        self.options
            .unix_socket
            .then(|| self.dir.path().join("redis.sock"))
    }

    /// The server's data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Stops the server gracefully (SIGTERM: an AOF is flushed) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory after [`stop`](Self::stop) or
    /// [`kill`](Self::kill). Panics with the log if it does not come up.
    pub fn start_again(&mut self) {
        match self.spawn() {
            Ok(()) => self.create_acl_user(),
            Err(SpawnError::Missing(e) | SpawnError::Failed(e)) => {
                panic!(
                    "redis-server did not start again on port {}: {e}",
                    self.port
                )
            }
        }
    }

    fn create_acl_user(&self) {
        if let Some((user, password)) = &self.options.acl_user {
            let reply = self.raw_command(&[
                "ACL",
                "SETUSER",
                user,
                "on",
                &format!(">{password}"),
                "~*",
                "&*",
                "+@all",
            ]);
            assert_eq!(reply, "+OK", "ACL SETUSER {user} failed");
        }
    }

    /// Stops and starts the server on the same port and directory.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Sends one command over a fresh connection and returns the raw reply (for test setup
    /// that must not depend on the code under test, such as `SCRIPT FLUSH`).
    pub fn raw_command(&self, args: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect to redis-server on {}: {e}", self.port));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut request = Vec::new();
        if let Some(password) = &self.options.password {
            request.extend(encode(&["AUTH", password]));
        }
        request.extend(encode(args));
        stream
            .write_all(&request)
            .unwrap_or_else(|e| panic!("write to redis-server: {e}"));
        let expected_lines = if self.options.password.is_some() {
            2
        } else {
            1
        };
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        while reply.iter().filter(|b| **b == b'\n').count() < expected_lines {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&reply).into_owned();
        text.lines().last().unwrap_or_default().to_owned()
    }

    fn spawn(&mut self) -> Result<(), SpawnError> {
        let binary = std::env::var("KVDB_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut command = Command::new(&binary);
        command
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg("redis.log")
            .arg("--save")
            .arg("")
            .arg("--daemonize")
            .arg("no")
            .arg("--protected-mode")
            .arg("no")
            .arg("--enable-debug-command")
            .arg("local");
        if self.options.aof {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            command.args(["--appendonly", "no"]);
        }
        if let Some(password) = &self.options.password {
            command.arg("--requirepass").arg(password);
        }
        if self.options.unix_socket {
            command
                .arg("--unixsocket")
                .arg(self.dir.path().join("redis.sock"))
                .arg("--unixsocketperm")
                .arg("700");
        }
        if self.options.tls {
            make_certificate(self.dir.path())?;
            let dir = self.dir.path();
            command
                .arg("--tls-port")
                .arg(self.tls_port.to_string())
                .arg("--tls-cert-file")
                .arg(dir.join("tls.crt"))
                .arg("--tls-key-file")
                .arg(dir.join("tls.key"))
                .arg("--tls-ca-cert-file")
                .arg(dir.join("ca.crt"))
                .args(["--tls-auth-clients", "no"]);
        }
        command.args(&self.options.extra_args);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SpawnError::Missing(format!(
                    "`{binary}` not found: install Redis (`apt-get install redis-server`) \
                     or set KVDB_REDIS_SERVER to the redis-server binary"
                ))
            } else {
                SpawnError::Failed(format!("cannot run `{binary}`: {e}"))
            }
        })?;
        self.child = Some(child);
        self.wait_ready().map_err(SpawnError::Failed)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return Err(format!(
                    "redis-server exited with {status} on port {}; its log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                // Any reply (PONG, NOAUTH, LOADING) means the server is answering; wait out
                // LOADING, which a server replaying an AOF sends.
                if stream.write_all(b"PING\r\n").is_ok() {
                    let mut buf = [0u8; 64];
                    if let Ok(n) = stream.read(&mut buf) {
                        if n > 0 && !buf[..n].starts_with(b"-LOADING") {
                            return Ok(());
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "redis-server did not answer on port {} within 10 s; its log:\n{}",
            self.port,
            self.log()
        ))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if std::thread::panicking() && self.child.is_some() {
            eprintln!(
                "--- redis-server log (port {}) ---\n{}",
                self.port,
                self.log()
            );
        }
        self.kill();
    }
}

/// Why a server did not start: no binary at all (final), or anything else (worth a retry).
pub(crate) enum SpawnError {
    Missing(String),
    Failed(String),
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend(format!("${}\r\n", arg.len()).into_bytes());
        out.extend(arg.as_bytes());
        out.extend(b"\r\n");
    }
    out
}
