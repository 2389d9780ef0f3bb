//! `kvdb`: the command line of the kvdb toolkit.
//!
//! ```sh
//! kvdb info --json
//! kvdb lua check --dir config/repo/lua/user
//! kvdb lua run mylib.check_if_exists --dir config/repo/lua/user --key rename-from --key rename-to
//! kvdb demo
//! ```
//!
//! Every command takes `--url` (or `REDIS_URL`, default `redis://127.0.0.1:6379`),
//! `--namespace` and `--json`. Errors go to stderr; exit codes: 0 success, 1 no result (no
//! translation, a program that does not compile), 2 bad input, 3 server unreachable, 4 other
//! failures.
//!
//! # Layout
//!
//! - `cli.rs`: the command line (clap derive).
//! - `commands/`: one module per command group.
//! - `output.rs`: tables and JSON; `error.rs`: [`CliError`] and exit codes.

mod cli;
mod commands;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

pub(crate) use error::CliError;
pub(crate) use output::Output;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kvdb: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            err.exit_code()
        }
    }
}
