//! [`Watcher`]: reloads the programs when files in their directories change.

use std::fmt;
use std::path::PathBuf;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{Error, LoadReport, LuaContainer, Result};

/// How many reload results wait for [`Watcher::next_reload`]; later ones are dropped (they
/// are logged anyway) until the reader catches up.
const PENDING_REPORTS: usize = 16;

/// Watches a container's directories (not their sub-directories) with the `notify` crate and
/// reloads the container when a `*.lua` file is added, changed or removed.
///
/// Events are debounced by [`LuaOptions::watch_debounce`](crate::LuaOptions) so that one save
/// causes one reload. Each reload behaves as [`LuaContainer::reload`]: a broken change keeps the
/// previous version live and is reported (logged with `tracing` at WARN, and returned by
/// [`next_reload`](Self::next_reload)). A directory removed and created again is no longer
/// watched: start a new watcher.
///
/// Watching stops when the `Watcher` is dropped.
pub struct Watcher {
    _notify: RecommendedWatcher,
    task: JoinHandle<()>,
    reloads: mpsc::Receiver<Result<LoadReport>>,
}

impl Watcher {
    /// Waits for the next reload the watcher makes and returns its result. `None` if the
    /// watcher stopped.
    pub async fn next_reload(&mut self) -> Option<Result<LoadReport>> {
        self.reloads.recv().await
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("running", &!self.task.is_finished())
            .finish()
    }
}

/// Starts the file watcher and the task that reloads.
pub(crate) fn start(container: LuaContainer) -> Result<Watcher> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|err| Error::Watch {
        path: String::from("the program directories"),
        reason: format!("no tokio runtime to reload on: {err}"),
    })?;
    let (changes_tx, changes) = mpsc::unbounded_channel::<()>();
    let dirs = container.options().dirs.clone();
    let mut notify = notify::recommended_watcher(move |event: notify::Result<Event>| match event {
        Ok(event) if is_relevant(&event, &dirs) => {
            // The receiver is gone only once the watcher is being dropped.
            let _ = changes_tx.send(());
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "watching Lua program directories"),
    })
    .map_err(|err| Error::Watch {
        path: String::from("the program directories"),
        reason: err.to_string(),
    })?;
    for dir in &container.options().dirs {
        notify
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|err| Error::Watch {
                path: dir.display().to_string(),
                reason: err.to_string(),
            })?;
    }
    let (reports_tx, reloads) = mpsc::channel(PENDING_REPORTS);
    let task = runtime.spawn(reload_on_changes(container, changes, reports_tx));
    Ok(Watcher {
        _notify: notify,
        task,
        reloads,
    })
}

/// Events that may change a program: anything but reads, about a `*.lua` path or about a
/// watched directory itself.
fn is_relevant(event: &Event, dirs: &[PathBuf]) -> bool {
    let mutates = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    mutates
        && event.paths.iter().any(|path| {
            path.extension().and_then(|ext| ext.to_str()) == Some("lua")
                || dirs.iter().any(|dir| dir == path)
        })
}

async fn reload_on_changes(
    container: LuaContainer,
    mut changes: mpsc::UnboundedReceiver<()>,
    reports: mpsc::Sender<Result<LoadReport>>,
) {
    let debounce = container.options().watch_debounce;
    while changes.recv().await.is_some() {
        tokio::time::sleep(debounce).await;
        while changes.try_recv().is_ok() {}
        let result = container.reload().await;
        if let Err(err) = &result {
            tracing::warn!(%err, "reloading Lua programs failed; the previous programs stay live");
        }
        let _ = reports.try_send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind, RemoveKind};

    #[test]
    fn relevant_events() {
        let dirs = [PathBuf::from("/lua/user")];
        let event = |kind, path: &str| Event::new(kind).add_path(PathBuf::from(path));
        let create = EventKind::Create(CreateKind::File);
        assert!(is_relevant(&event(create, "/lua/user/p.lua"), &dirs));
        assert!(!is_relevant(&event(create, "/lua/user/p.lua.swp"), &dirs));
        let modify = EventKind::Modify(ModifyKind::Any);
        assert!(is_relevant(&event(modify, "/lua/user/p.lua"), &dirs));
        let read = EventKind::Access(AccessKind::Open(AccessMode::Read));
        assert!(!is_relevant(&event(read, "/lua/user/p.lua"), &dirs));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(is_relevant(&event(closed, "/lua/user/p.lua"), &dirs));
        let gone = EventKind::Remove(RemoveKind::Folder);
        assert!(is_relevant(&event(gone, "/lua/user"), &dirs));
    }
}
