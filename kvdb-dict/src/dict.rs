//! [`Dict`]: one data dictionary in a store, and the plumbing its operations share.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use kvdb_core::redis::Value;
use kvdb_core::{KvStore, Script};

use crate::cache::{Cache, CacheHandle};
use crate::keys::Keys;
use crate::{CacheOptions, Error, Result};

/// One data dictionary: its entries, its translations, and translate.
///
/// A `Dict` is a handle on keys in a [`KvStore`]; any number of handles, in any number of
/// processes, may work on the same dictionary at once. Every change runs as one Lua script
/// that checks and writes in a single atomic step, so concurrent editors cannot break the
/// rules (unique entries, one translation per source and target system and key, no
/// translation pointing at a missing entry). Cloning is cheap and shares the cache.
///
/// ```no_run
/// use std::sync::Arc;
/// use kvdb_core::{KvStore, RedisStore};
/// use kvdb_dict::Dict;
///
/// # async fn run() -> kvdb_dict::Result<()> {
/// let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
/// let dict = Dict::new(store, "currencies");
/// let eur = dict.create_entry("CRM", "currency", "EUR").await?;
/// let code = dict.create_entry("billing", "currency_code", "978").await?;
/// dict.create_translation(eur, code).await?;
/// let hit = dict.translate("CRM", "currency", "EUR", "billing", "currency_code").await?;
/// assert_eq!(hit.map(|t| t.value().to_owned()).as_deref(), Some("978"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Dict {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn KvStore>,
    pub(crate) name: String,
    pub(crate) keys: Keys,
    pub(crate) cache: Option<CacheHandle>,
}

impl Dict {
    /// The dictionary `name` in `store`. Its keys live under
    /// `store.namespace().keyspace("dict", name)`, so they share one hash tag.
    pub fn new(store: Arc<dyn KvStore>, name: &str) -> Dict {
        let keys = Keys::new(&store.namespace().keyspace("dict", name));
        Dict {
            inner: Arc::new(Inner {
                store,
                name: name.to_owned(),
                keys,
                cache: None,
            }),
        }
    }

    /// The same dictionary with a local translate cache.
    ///
    /// Subscribes to the dictionary's invalidation channel before returning, so every change
    /// made afterwards, by any process, reaches the cache. See [`CacheOptions`] for what is
    /// cached and the guarantees.
    pub async fn with_cache(self, options: CacheOptions) -> Result<Dict> {
        let mut subscription = self.inner.store.subscribe().await?;
        subscription.subscribe(&self.inner.keys.channel).await?;
        let cache = Arc::new(Cache::new(options));
        let handle = CacheHandle::start(cache, subscription);
        Ok(Dict {
            inner: Arc::new(Inner {
                store: Arc::clone(&self.inner.store),
                name: self.inner.name.clone(),
                keys: self.inner.keys.clone(),
                cache: Some(handle),
            }),
        })
    }

    /// The dictionary's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The store it lives in.
    pub fn store(&self) -> &Arc<dyn KvStore> {
        &self.inner.store
    }

    /// Whether translate answers from a local cache.
    pub fn is_cached(&self) -> bool {
        self.inner.cache.is_some()
    }

    /// How many invalidations (messages, reconnects, this handle's own changes) the cache
    /// has applied; `None` without a cache. For tests and monitoring: it moves when an
    /// invalidation has arrived.
    pub fn cache_generation(&self) -> Option<u64> {
        self.inner.cache.as_ref().map(|h| h.cache.generation())
    }

    /// How many answers the cache holds; `None` without a cache.
    pub fn cache_len(&self) -> Option<usize> {
        self.inner.cache.as_ref().map(|h| h.cache.len())
    }

    pub(crate) fn names(&self) -> &Keys {
        &self.inner.keys
    }

    pub(crate) fn cache(&self) -> Option<&Cache> {
        self.inner.cache.as_ref().map(|h| &*h.cache)
    }

    /// Runs one of the crate's scripts and splits its reply into a status and the rest.
    pub(crate) async fn run(&self, script: &Script, args: &[&str]) -> Result<(String, Vec<Value>)> {
        let reply: Value = script
            .invoke(&*self.inner.store, &[self.inner.keys.base.as_str()], args)
            .await?;
        let Value::Array(mut items) = reply else {
            return Err(unexpected(&reply));
        };
        if items.is_empty() {
            return Err(Error::Corrupt(String::from("a script returned nothing")));
        }
        let status = string(&items.remove(0))?;
        Ok((status, items))
    }

    /// Applies a change's invalidation message to this handle's own cache at once, so a
    /// handle reads its own writes without waiting for the message to come back.
    pub(crate) fn invalidate_locally(&self, message: &Value) {
        if let (Some(cache), Some(bytes)) = (self.cache(), bytes(message)) {
            if !bytes.is_empty() {
                cache.invalidate(bytes);
            }
        }
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dict")
            .field("name", &self.inner.name)
            .field("store", &self.inner.store.describe())
            .field("cached", &self.is_cached())
            .finish()
    }
}

/// The bytes of a string reply.
pub(crate) fn bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// A string reply as a `String`.
pub(crate) fn string(value: &Value) -> Result<String> {
    bytes(value)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::to_owned)
        .ok_or_else(|| unexpected(value))
}

/// An id reply (the scripts send ids as decimal strings).
pub(crate) fn id(value: &Value) -> Result<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        other => bytes(other).and_then(crate::id::parse_id),
    }
    .ok_or_else(|| unexpected(value))
}

/// A hash reply (HGETALL), whatever the protocol.
pub(crate) fn hash(value: Value) -> Result<HashMap<Vec<u8>, Vec<u8>>> {
    kvdb_core::redis::from_redis_value(value)
        .map_err(|e| Error::Corrupt(format!("expected a hash: {e}")))
}

pub(crate) fn unexpected(value: &Value) -> Error {
    Error::Corrupt(format!("unexpected reply {value:?}"))
}
