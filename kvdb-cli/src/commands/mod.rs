//! One module per command group; [`run`] dispatches.

mod broker;
mod demo;
mod dict;
mod info;
mod lua;
mod stats;

use std::sync::Arc;

use kvdb_core::{KvStore, RedisStore, RedisStoreOptions};

use crate::cli::{Cli, Command, Global};
use crate::{CliError, Output};

/// What every command needs: where the server is, the namespace, how to print.
pub(crate) struct Context {
    url: String,
    namespace: String,
    /// How results are printed.
    pub(crate) out: Output,
}

impl Context {
    fn new(global: Global) -> Context {
        Context {
            url: global.url,
            namespace: global.namespace,
            out: Output { json: global.json },
        }
    }

    /// Connects to the server, in the command's namespace.
    pub(crate) async fn store(&self) -> Result<Arc<dyn KvStore>, CliError> {
        self.store_in(&self.namespace).await
    }

    /// Connects to the server, in another namespace.
    pub(crate) async fn store_in(&self, namespace: &str) -> Result<Arc<dyn KvStore>, CliError> {
        let options = RedisStoreOptions::default().namespace(namespace);
        let store = RedisStore::connect_with(&self.url, options).await?;
        Ok(Arc::new(store))
    }
}

/// Runs the command line's command.
pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::new(cli.global);
    match cli.command {
        Command::Info { section } => info::run(&ctx, section.as_deref()).await,
        Command::Lua(command) => lua::run(&ctx, command).await,
        Command::Dict { name, command } => dict::run(&ctx, &name, command).await,
        Command::Stats(command) => stats::run(&ctx, command).await,
        Command::Broker(command) => broker::run(&ctx, command).await,
        Command::Demo => demo::run(&ctx).await,
    }
}
