//! [`Dict::import`]: replace or merge a whole dictionary from a [`Document`], atomically.
//!
//! # How it stays all or nothing
//!
//! The document was checked record by record when it was made ([`Document::parse`]), so
//! nothing is written unless all of it is good. The writes then go out on a connection of
//! their own inside one MULTI/EXEC transaction: `clear.lua` (deleting the old data), then the
//! new data in large pipelined batches (one HSET per thousand fields), then the counters and
//! one "drop everything" message for caches. Until EXEC, the server only queues; a broken
//! connection or a refused command discards the lot. Readers see the old dictionary until
//! EXEC and the new one after it, never a mix.
//!
//! The price: EXEC runs the whole import at once, blocking the server for its duration
//! (a few hundred milliseconds for 100,000 entries and 100,000 translations), and the queued
//! commands are held in server memory until then. Writing into a staging key space and
//! swapping would block for less time but needs a RENAME per key and cleanup of abandoned
//! staging data; for dictionaries, which change rarely and are modest in size, one
//! transaction is the simpler and safer choice.
//!
//! Both modes are idempotent: importing the same document twice leaves the same dictionary.
//! So when an import fails with a retryable error (a timeout or a lost connection while
//! EXEC ran, after which it may or may not have been applied), running it again is safe.
//!
//! A merge goes out the same way, as calls of `merge.lua` inside one MULTI/EXEC, a thousand
//! records per call: entries are matched by their parts on the server, missing ones created,
//! then translations created or re-pointed. Being one transaction, it needs no read of the
//! current data beforehand and cannot be starved by concurrent editors; they simply run
//! before or after it.

use std::collections::HashMap;

use kvdb_core::redis::aio::ConnectionLike;
use kvdb_core::redis::{self, Cmd, Value};
use kvdb_core::DedicatedConnection;

use crate::encoding::{encode, lookup_field, lookup_payload};
use crate::keys::Keys;
use crate::scripts::{CLEAR, MERGE};
use crate::{Dict, Document, Entry, EntryId, Error, Result, TranslationRecord};

/// Fields per HSET/SADD of an import.
const FIELDS_PER_COMMAND: usize = 1000;

/// Commands per pipelined batch of an import (and so, per progress report).
const COMMANDS_PER_BATCH: usize = 32;

/// What an import does with the dictionary's current contents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportMode {
    /// The dictionary becomes exactly the document, ids included. The default.
    #[default]
    Replace,
    /// The document is added to the dictionary. Entries are matched by system, key and
    /// value (an existing entry keeps its id; the document's ids only link its own
    /// records); translations are matched by source entry and target system and key, and
    /// the document's target wins. Nothing is deleted.
    Merge,
}

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportStage {
    /// Sending records to the server, which queues them.
    Sending,
    /// All sent; the server is applying them in one step.
    Applying,
    /// Applied.
    Done,
}

/// A progress report: `done` of `total` records (entries plus translations) at `stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportProgress {
    /// Where the import is.
    pub stage: ImportStage,
    /// Records sent so far.
    pub done: usize,
    /// Records to send.
    pub total: usize,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportSummary {
    /// The mode it ran in.
    pub mode: ImportMode,
    /// Entries in the dictionary afterwards.
    pub entries: usize,
    /// Translations in the dictionary afterwards.
    pub translations: usize,
    /// Entries that were not there before (every entry, for a replace).
    pub entries_added: usize,
    /// Translations that were not there before (every translation, for a replace).
    pub translations_added: usize,
    /// Existing translations whose target a merge changed.
    pub translations_changed: usize,
}

impl Dict {
    /// Imports a document: see [`ImportMode`] and the all-or-nothing notes on
    /// [`Document`]. Equivalent to [`import_with_progress`](Self::import_with_progress)
    /// with no progress reports.
    pub async fn import(&self, document: &Document, mode: ImportMode) -> Result<ImportSummary> {
        self.import_with_progress(document, mode, |_| {}).await
    }

    /// Imports a document, reporting progress after each pipelined batch (for a progress
    /// bar) and at each stage. Cancelling before the last report of the
    /// [`Sending`](ImportStage::Sending) stage changes nothing.
    pub async fn import_with_progress<F>(
        &self,
        document: &Document,
        mode: ImportMode,
        mut progress: F,
    ) -> Result<ImportSummary>
    where
        F: FnMut(ImportProgress) + Send,
    {
        let total = document.entries().len() + document.translations().len();
        let mut conn = self.store().dedicated().await?;
        let summary = match mode {
            ImportMode::Replace => {
                let state = State {
                    entries: document.entries(),
                    translations: document.translations(),
                    last_entry_id: document.last_entry_id(),
                    last_translation_id: document.last_translation_id(),
                };
                let commands = write_commands(self.names(), &state);
                commit(&mut conn, &commands, total, &mut progress).await?;
                ImportSummary {
                    mode,
                    entries: document.entries().len(),
                    translations: document.translations().len(),
                    entries_added: document.entries().len(),
                    translations_added: document.translations().len(),
                    translations_changed: 0,
                }
            }
            ImportMode::Merge => {
                let commands = merge_commands(self.names(), document);
                let results = commit(&mut conn, &commands, total, &mut progress).await?;
                merge_summary(
                    &results,
                    document.entries().len().div_ceil(FIELDS_PER_COMMAND),
                )?
            }
        };
        if let Some(cache) = self.cache() {
            cache.invalidate(b"*");
        }
        Ok(summary)
    }
}

/// Queues `commands` inside MULTI in pipelined batches, reporting progress, then EXECs;
/// returns EXEC's replies. Nothing is applied unless every command was queued.
async fn commit<F>(
    conn: &mut DedicatedConnection,
    commands: &[(Cmd, usize)],
    total: usize,
    progress: &mut F,
) -> Result<Vec<Value>>
where
    F: FnMut(ImportProgress) + Send,
{
    let mut done = 0;
    progress(ImportProgress {
        stage: ImportStage::Sending,
        done,
        total,
    });
    conn.query::<()>(&redis::cmd("MULTI")).await?;
    for batch in commands.chunks(COMMANDS_PER_BATCH) {
        let mut pipe = redis::pipe();
        for (cmd, _) in batch {
            pipe.add_command(cmd.clone());
        }
        for reply in send(conn, &pipe).await? {
            if let Value::ServerError(err) = reply {
                // The connection is dropped inside MULTI, which discards the transaction.
                return Err(Error::Store(kvdb_core::Error::from_server_error(
                    "import (queued command)",
                    &err,
                )));
            }
        }
        done += batch.iter().map(|(_, records)| records).sum::<usize>();
        progress(ImportProgress {
            stage: ImportStage::Sending,
            done,
            total,
        });
    }
    progress(ImportProgress {
        stage: ImportStage::Applying,
        done,
        total,
    });
    let results: Value = conn.query(&redis::cmd("EXEC")).await?;
    let Value::Array(results) = results else {
        return Err(crate::dict::unexpected(&results));
    };
    if let Some(Value::ServerError(err)) =
        results.iter().find(|r| matches!(r, Value::ServerError(_)))
    {
        return Err(Error::Store(kvdb_core::Error::from_server_error(
            "import (EXEC)",
            err,
        )));
    }
    progress(ImportProgress {
        stage: ImportStage::Done,
        done: total,
        total,
    });
    Ok(results)
}

/// The calls of `merge.lua` that merge `document` in, each with its record count.
fn merge_commands(keys: &Keys, document: &Document) -> Vec<(Cmd, usize)> {
    let call = |mode: &str| MERGE.eval_cmd(&[&keys.base], &[mode]);
    let mut out = Vec::new();
    for chunk in document.entries().chunks(FIELDS_PER_COMMAND) {
        let mut cmd = call("entries");
        for e in chunk {
            cmd.arg(&e.system).arg(&e.key).arg(&e.value);
        }
        out.push((cmd, chunk.len()));
    }
    // Translations name their entries by parts: the ids of the document are its own.
    let by_id: HashMap<EntryId, &Entry> = document.entries().iter().map(|e| (e.id, e)).collect();
    for chunk in document.translations().chunks(FIELDS_PER_COMMAND) {
        let mut cmd = call("translations");
        for t in chunk {
            let (Some(source), Some(target)) = (by_id.get(&t.source), by_id.get(&t.target)) else {
                continue; // Documents are checked: every translation has its entries.
            };
            for part in [
                &source.system,
                &source.key,
                &source.value,
                &target.system,
                &target.key,
                &target.value,
            ] {
                cmd.arg(part);
            }
        }
        out.push((cmd, chunk.len()));
    }
    out.push((call("finish"), 0));
    out
}

/// Adds up what the merge calls returned: `entry_calls` calls for entries (added, 0), then
/// the calls for translations (added, changed), then the final counts.
fn merge_summary(results: &[Value], entry_calls: usize) -> Result<ImportSummary> {
    let pair = |value: &Value| -> Result<(usize, usize)> {
        match value {
            Value::Array(items) => match items.as_slice() {
                [Value::Int(a), Value::Int(b)] => Ok((*a as usize, *b as usize)),
                _ => Err(crate::dict::unexpected(value)),
            },
            other => Err(crate::dict::unexpected(other)),
        }
    };
    // The replies of the merge calls are the last ones of the transaction.
    let Some((last, calls)) = results.split_last() else {
        return Err(Error::Corrupt(String::from("a merge returned nothing")));
    };
    let (entries, translations) = pair(last)?;
    let mut summary = ImportSummary {
        mode: ImportMode::Merge,
        entries,
        translations,
        entries_added: 0,
        translations_added: 0,
        translations_changed: 0,
    };
    for (n, call) in calls.iter().enumerate() {
        let (added, changed) = pair(call)?;
        if n < entry_calls {
            summary.entries_added += added;
        } else {
            summary.translations_added += added;
            summary.translations_changed += changed;
        }
    }
    Ok(summary)
}

/// A whole dictionary to write.
struct State<'a> {
    entries: &'a [Entry],
    translations: &'a [TranslationRecord],
    last_entry_id: u64,
    last_translation_id: u64,
}

/// The commands that replace the dictionary with `state`, each with the number of records
/// it carries (for progress).
fn write_commands(keys: &Keys, state: &State<'_>) -> Vec<(Cmd, usize)> {
    let mut out = Vec::new();
    out.push((CLEAR.eval_cmd(&[&keys.base], &[] as &[&str]), 0));

    let by_id: HashMap<EntryId, &Entry> = state.entries.iter().map(|e| (e.id, e)).collect();
    for chunk in state.entries.chunks(FIELDS_PER_COMMAND) {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(&keys.entries);
        for e in chunk {
            cmd.arg(e.id.0).arg(encode(&[&e.system, &e.key, &e.value]));
        }
        out.push((cmd, chunk.len()));
    }

    // The indexes: values per system and key, keys per system, systems. Each key is
    // deleted first, so nothing left from before (whatever its type) can get in the way.
    let mut pairs: HashMap<(&str, &str), Vec<&Entry>> = HashMap::new();
    for e in state.entries {
        pairs.entry((&e.system, &e.key)).or_default().push(e);
    }
    let mut systems: HashMap<&str, Vec<&str>> = HashMap::new();
    for ((system, key), entries) in &pairs {
        systems.entry(system).or_default().push(key);
        let name = keys.values_of(system, key);
        out.push((del(&name), 0));
        for chunk in entries.chunks(FIELDS_PER_COMMAND) {
            let mut cmd = redis::cmd("HSET");
            cmd.arg(&name);
            for e in chunk {
                cmd.arg(&e.value).arg(e.id.0);
            }
            out.push((cmd, 0));
        }
    }
    let system_names: Vec<&str> = systems.keys().copied().collect();
    for (system, system_keys) in systems {
        let name = keys.keys_of(system);
        out.push((del(&name), 0));
        for chunk in system_keys.chunks(FIELDS_PER_COMMAND) {
            out.push((sadd(&name, chunk), 0));
        }
    }
    for chunk in system_names.chunks(FIELDS_PER_COMMAND) {
        out.push((sadd(keys.systems.as_bytes(), chunk), 0));
    }

    let mut uses: HashMap<EntryId, String> = HashMap::new();
    for chunk in state.translations.chunks(FIELDS_PER_COMMAND) {
        let mut pairs = redis::cmd("HSET");
        pairs.arg(&keys.translations);
        let mut lookup = redis::cmd("HSET");
        lookup.arg(&keys.lookup);
        for t in chunk {
            let (Some(source), Some(target)) = (by_id.get(&t.source), by_id.get(&t.target)) else {
                continue; // Documents are checked: every translation has its entries.
            };
            pairs.arg(t.id.0).arg(format!("{}:{}", t.source, t.target));
            lookup
                .arg(lookup_field([
                    &source.system,
                    &source.key,
                    &source.value,
                    &target.system,
                    &target.key,
                ]))
                .arg(lookup_payload(
                    t.id.0,
                    t.source.0,
                    t.target.0,
                    &target.value,
                ));
            for id in [t.source, t.target] {
                let list = uses.entry(id).or_insert_with(|| String::from(","));
                list.push_str(&t.id.0.to_string());
                list.push(',');
            }
        }
        out.push((pairs, chunk.len()));
        out.push((lookup, 0));
    }
    let uses: Vec<(EntryId, String)> = uses.into_iter().collect();
    for chunk in uses.chunks(FIELDS_PER_COMMAND) {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(&keys.uses);
        for (id, list) in chunk {
            cmd.arg(id.0).arg(list);
        }
        out.push((cmd, 0));
    }

    let mut last = redis::cmd("MSET");
    last.arg(&keys.last_entry_id)
        .arg(state.last_entry_id)
        .arg(&keys.last_translation_id)
        .arg(state.last_translation_id);
    out.push((last, 0));
    out.push((redis::cmd("INCR").arg(&keys.version).clone(), 0));
    out.push((redis::cmd("PUBLISH").arg(&keys.channel).arg("*").clone(), 0));
    out
}

fn del(key: &[u8]) -> Cmd {
    redis::cmd("DEL").arg(key).clone()
}

fn sadd(key: &[u8], members: &[&str]) -> Cmd {
    let mut cmd = redis::cmd("SADD");
    cmd.arg(key);
    for member in members {
        cmd.arg(*member);
    }
    cmd
}

/// Sends a plain pipeline on the import's connection and returns every reply.
async fn send(conn: &mut DedicatedConnection, pipe: &redis::Pipeline) -> Result<Vec<Value>> {
    conn.req_packed_commands(pipe, 0, pipe.len())
        .await
        .map_err(|e| Error::Store(kvdb_core::Error::from_redis("pipeline", e, None)))
}
