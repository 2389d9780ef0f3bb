//! kvdb-dict: data dictionaries and value translation (wip).

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
