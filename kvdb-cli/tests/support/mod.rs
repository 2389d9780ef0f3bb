//! Runs the real `kvdb` binary against a private redis-server.

#![allow(dead_code)]

use std::process::{Command, Output};

use kvdb_test::RedisServer;

/// The result of one `kvdb` run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `kvdb ARGS` against `server` (in namespace `ns`).
pub(crate) fn kvdb(server: &RedisServer, ns: &str, args: &[&str]) -> Run {
    kvdb_at(&server.url(), ns, args)
}

/// Runs `kvdb ARGS` against a URL.
pub(crate) fn kvdb_at(url: &str, ns: &str, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_kvdb"))
        .args(["--url", url, "--namespace", ns])
        .args(args)
        .env_remove("REDIS_URL")
        .env_remove("KVDB_NAMESPACE")
        .output()
        .expect("run kvdb");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
