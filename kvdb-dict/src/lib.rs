//! Data dictionaries and value translation on kvdb.
//!
//! Integration services map a value of one system to the value another system uses: system
//! `CRM`, key `currency`, value `EUR` is system `billing`, key `currency_code`, value `978`.
//! A [`Dict`] holds the **entries** (system, key, value; each with a stable [`EntryId`];
//! the triple unique) and the **translations** between them (at most one per source entry
//! and target system and key, never within one system and key), and answers
//! [`translate`](Dict::translate) with one `HGET`, or from a local cache invalidated through
//! pub/sub.
//!
//! It keeps Zato's model and fixes its flaws (see `shared/REFERENCE.md`): composite names are
//! length-prefixed, so any character round-trips (`:::`, newlines, braces, emoji); listings
//! come from indexes kept with the data, never from KEYS or SCAN; every change is one Lua
//! script that checks and writes atomically; deleting a used entry is refused unless asked
//! to cascade; editing a translation's target value works; imports are checked record by
//! record and applied all at once, and Zato's translation keys are parsed, never written.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use kvdb_core::{KvStore, RedisStore};
//! use kvdb_dict::{CacheOptions, DeleteMode, Dict, Document, ImportMode};
//!
//! # async fn run() -> kvdb_dict::Result<()> {
//! let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
//! let dict = Dict::new(Arc::clone(&store), "currencies");
//!
//! // Entries and a translation.
//! let eur = dict.create_entry("CRM", "currency", "EUR").await?;
//! let n978 = dict.create_entry("billing", "currency_code", "978").await?;
//! let t = dict.create_translation(eur, n978).await?;
//!
//! // Translate: one HGET.
//! let hit = dict.translate("CRM", "currency", "EUR", "billing", "currency_code").await?;
//! assert_eq!(hit.as_ref().map(|t| t.value()), Some("978"));
//!
//! // The same dictionary with a local cache: answers from memory, dropped by pub/sub
//! // whenever any process changes them.
//! let cached = Dict::new(store, "currencies").with_cache(CacheOptions::default()).await?;
//! cached.translate("CRM", "currency", "EUR", "billing", "currency_code").await?;
//!
//! // A used entry is not deleted unless asked to cascade.
//! assert!(dict.delete_entry(n978, DeleteMode::Refuse).await.is_err());
//! dict.delete_translation(t).await?;
//!
//! // Export, and import (kvdb JSON or Zato's export, plain or bz2).
//! let json = dict.export().await?.to_json();
//! let summary = dict.import(&Document::parse(&json)?, ImportMode::Replace).await?;
//! println!("{} entries, {} translations", summary.entries, summary.translations);
//! # Ok(())
//! # }
//! ```
//!
//! # Storage
//!
//! All keys of a dictionary live under `store.namespace().keyspace("dict", name)` and so
//! share one hash tag (`kvdb:{dict:NAME}:...`). Names below are suffixes; `enc(..)` writes
//! each part as `LEN:BYTES`.
//!
//! | key | type | holds |
//! |---|---|---|
//! | `entries` | hash | entry id -> `enc(system, key, value)` |
//! | `values:enc(system, key)` | hash | value -> entry id (uniqueness, and the values listing) |
//! | `keys:enc(system)` | set | the keys of a system |
//! | `systems` | set | the systems |
//! | `translations` | hash | translation id -> `source_id:target_id` |
//! | `lookup` | hash | `enc(system1, key1, value1, system2, key2)` -> `tid:id1:id2:value2`: translate is one HGET here |
//! | `uses` | hash | entry id -> `,tid,tid,` (the translations that use it) |
//! | `last-entry-id`, `last-translation-id` | strings | id counters |
//! | `version` | string | bumped by every change |
//! | `changes` | channel | invalidation messages: changed lookup fields, or `*` |
//!
//! # Layout
//!
//! - [`Dict`] (`dict.rs`): the handle; `entries.rs` (entries and listings),
//!   `translations.rs` (translations), `translate.rs` (translate, batch, cached).
//! - [`CacheOptions`] (`cache.rs`): the local cache and why it never serves a stale answer
//!   after its invalidation arrived.
//! - [`Document`] (`document.rs`, `zato.rs`, `record.rs`): import documents, checked record
//!   by record;
//!   `import.rs` ([`ImportMode`], [`ImportProgress`]) writes them in one MULTI/EXEC;
//!   `export.rs` reads a consistent snapshot.
//! - `verify.rs`: [`Dict::verify`], every rule and index checked.
//! - `scripts.rs` and `lua/*.lua`: the atomic changes; `keys.rs`, `encoding.rs`: key names
//!   and the length-prefixed encoding both sides share.
//! - [`Entry`], [`EntryRef`], [`Translation`], [`Translated`], [`TranslationKey`], the ids,
//!   [`Error`], and the validation rules ([`MAX_NAME_LEN`], [`MAX_VALUE_LEN`]).

mod cache;
mod dict;
mod document;
mod encoding;
mod entries;
mod entry;
mod error;
mod export;
mod id;
mod import;
mod keys;
mod record;
mod scripts;
mod translate;
mod translation;
mod translations;
mod validate;
mod verify;
mod zato;

pub use cache::CacheOptions;
pub use dict::Dict;
pub use document::{Document, DocumentFormat, TranslationRecord, FORMAT_NAME, FORMAT_VERSION};
pub use entries::DeleteMode;
pub use entry::{Entry, EntryRef};
pub use error::{Error, Result};
pub use id::{EntryId, TranslationId};
pub use import::{ImportMode, ImportProgress, ImportStage, ImportSummary};
pub use translation::{Translated, Translation, TranslationKey};
pub use validate::{validate_key, validate_system, validate_value, MAX_NAME_LEN, MAX_VALUE_LEN};
