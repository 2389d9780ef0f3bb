//! The local translate cache: answers held in memory, dropped when an invalidation arrives.
//!
//! # Why a stale answer cannot slip in
//!
//! Every change publishes the lookup fields it touched (after it is applied on the server).
//! A listener task removes them from the map and bumps a generation counter, both under the
//! map's write lock. A cache miss notes the generation (under the read lock) *before* it
//! asks the server, and stores the answer only if the generation is unchanged (checked under
//! the write lock). So an answer read before a change, whose reply comes back after that
//! change's invalidation was applied, is returned to its caller (it was true when read) but
//! never stored: once an invalidation has arrived, the cache cannot serve what it removed.
//! If no invalidation arrived in between, the server read began after every change
//! announced so far was applied, so what it stores is current as of that change.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use kvdb_core::{PubSubEvent, Subscription};
use tokio::task::JoinHandle;

use crate::encoding::decode_invalidation;
use crate::Translated;

/// How a [`Dict`](crate::Dict)'s local cache behaves
/// ([`Dict::with_cache`](crate::Dict::with_cache)).
///
/// The cache answers [`translate`](crate::Dict::translate) and
/// [`translate_many`](crate::Dict::translate_many) from memory. Each change to the
/// dictionary, by any process, publishes the translations it touched, and every cache drops
/// them when the message arrives (typically well under a millisecond on a LAN; measured in
/// `tests/cache.rs`). A cache never serves an answer after the invalidation covering it
/// arrived. While its pub/sub connection is down the cache is off (every translate goes to
/// the server), and when the connection is made again it starts empty, because messages
/// sent meanwhile were lost. If the subscription ends for good,
/// the cache switches itself off and every translate goes to the server.
///
/// ```
/// use kvdb_dict::CacheOptions;
///
/// let options = CacheOptions::default().max_entries(10_000).cache_misses(false);
/// assert_eq!(options.max_entries, 10_000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheOptions {
    /// The most answers held. When full, the cache empties itself and fills again with what
    /// is asked next. Default 1,000,000.
    pub max_entries: usize,
    /// Whether "no such translation" is cached too. Default true.
    pub cache_misses: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            max_entries: 1_000_000,
            cache_misses: true,
        }
    }
}

impl CacheOptions {
    /// Sets [`max_entries`](Self::max_entries) (at least 1).
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
    }

    /// Sets [`cache_misses`](Self::cache_misses).
    pub fn cache_misses(mut self, yes: bool) -> Self {
        self.cache_misses = yes;
        self
    }
}

/// What the cache knows about a question.
pub(crate) enum Lookup {
    /// The answer (`None`: no such translation).
    Hit(Option<Translated>),
    /// Not held; ask the server and pass this generation to [`Cache::insert`].
    Miss(u64),
    /// The cache is switched off.
    Off,
}

/// The map and its generation counter.
pub(crate) struct Cache {
    map: RwLock<HashMap<Box<[u8]>, Option<Translated>>>,
    generation: AtomicU64,
    live: AtomicBool,
    options: CacheOptions,
}

impl Cache {
    pub(crate) fn new(options: CacheOptions) -> Cache {
        Cache {
            map: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            live: AtomicBool::new(true),
            options,
        }
    }

    /// Looks a lookup field up. Allocates nothing; takes the read lock once.
    pub(crate) fn lookup(&self, field: &[u8]) -> Lookup {
        if !self.live.load(Ordering::Acquire) {
            return Lookup::Off;
        }
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        match map.get(field) {
            Some(answer) => Lookup::Hit(answer.clone()),
            // Read under the lock, so it orders with the invalidations (taken under the write lock).
            None => Lookup::Miss(self.generation.load(Ordering::Acquire)),
        }
    }

    /// Stores a server's answer, unless an invalidation arrived since `seen` was read.
    pub(crate) fn insert(&self, field: &[u8], answer: Option<Translated>, seen: u64) {
        if answer.is_none() && !self.options.cache_misses {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation.load(Ordering::Acquire) != seen || !self.live.load(Ordering::Acquire) {
            return;
        }
        if map.len() >= self.options.max_entries && !map.contains_key(field) {
            map.clear();
        }
        map.insert(Box::from(field), answer);
    }

    /// Applies an invalidation message: a list of lookup fields, or `*` for everything.
    pub(crate) fn invalidate(&self, message: &[u8]) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        match decode_invalidation(message) {
            Some(fields) => {
                for field in fields {
                    map.remove(field);
                }
            }
            None => map.clear(),
        }
    }

    /// Switches the cache on or off; either way it forgets everything. Off while its
    /// subscription is disconnected (invalidations are being missed) and for good once the
    /// subscription ended.
    fn set_live(&self, live: bool) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.live.store(live, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A cache and the task that feeds it invalidations; the task stops when the last
/// [`Dict`](crate::Dict) clone holding it is dropped.
pub(crate) struct CacheHandle {
    pub(crate) cache: Arc<Cache>,
    task: JoinHandle<()>,
}

impl CacheHandle {
    pub(crate) fn start(cache: Arc<Cache>, subscription: Subscription) -> CacheHandle {
        let task = tokio::spawn(listen(subscription, Arc::clone(&cache)));
        CacheHandle { cache, task }
    }
}

impl Drop for CacheHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for CacheHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheHandle").finish_non_exhaustive()
    }
}

async fn listen(mut subscription: Subscription, cache: Arc<Cache>) {
    while let Some(event) = subscription.next_event().await {
        match event {
            PubSubEvent::Message(message) => cache.invalidate(&message.payload),
            PubSubEvent::Disconnected => {
                tracing::warn!("dictionary cache off until its subscription is renewed");
                cache.set_live(false);
            }
            PubSubEvent::Reconnected => {
                tracing::info!(
                    "dictionary cache cleared and on again: its subscription was renewed"
                );
                cache.set_live(true);
            }
            // Whatever else a subscription may report one day, forgetting is always safe.
            _ => cache.invalidate(b"*"),
        }
    }
    tracing::warn!("dictionary cache switched off: its subscription ended");
    cache.set_live(false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{lookup_field, push_part};
    use crate::{EntryId, TranslationId};

    fn answer(value: &str) -> Option<Translated> {
        Some(Translated {
            value: Arc::from(value),
            translation: TranslationId(1),
            source: EntryId(1),
            target: EntryId(2),
        })
    }

    fn message(fields: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for field in fields {
            push_part(&mut out, field);
        }
        out
    }

    #[test]
    fn a_disconnected_cache_serves_nothing_and_stores_nothing() {
        let cache = Cache::new(CacheOptions::default());
        let field = lookup_field(["a", "b", "c", "d", "e"]);
        cache.insert(&field, answer("old"), cache.generation());
        assert!(matches!(cache.lookup(&field), Lookup::Hit(_)));
        cache.set_live(false);
        assert!(matches!(cache.lookup(&field), Lookup::Off));
        cache.insert(&field, answer("during"), cache.generation());
        assert!(matches!(cache.lookup(&field), Lookup::Off));
        cache.set_live(true);
        assert!(
            matches!(cache.lookup(&field), Lookup::Miss(_)),
            "starts empty again"
        );
    }

    #[test]
    fn a_read_that_began_before_an_invalidation_is_not_stored() {
        let cache = Cache::new(CacheOptions::default());
        let field = lookup_field(["a", "b", "c", "d", "e"]);
        let Lookup::Miss(seen) = cache.lookup(&field) else {
            panic!("empty cache must miss")
        };
        // The server answered "old" but the invalidation of that field arrived first.
        cache.invalidate(&message(&[&field]));
        cache.insert(&field, answer("old"), seen);
        assert!(matches!(cache.lookup(&field), Lookup::Miss(_)));
        // A read that began after the invalidation is stored.
        let Lookup::Miss(seen) = cache.lookup(&field) else {
            panic!()
        };
        cache.insert(&field, answer("new"), seen);
        assert!(matches!(cache.lookup(&field), Lookup::Hit(Some(t)) if &*t.value == "new"));
    }

    #[test]
    fn invalidation_removes_only_the_fields_named_and_star_removes_all() {
        let cache = Cache::new(CacheOptions::default());
        let one = lookup_field(["a", "b", "c", "d", "e"]);
        let two = lookup_field(["a", "b", "x", "d", "e"]);
        for field in [&one, &two] {
            let Lookup::Miss(seen) = cache.lookup(field) else {
                panic!()
            };
            cache.insert(field, answer("v"), seen);
        }
        cache.invalidate(&message(&[&one]));
        assert!(matches!(cache.lookup(&one), Lookup::Miss(_)));
        assert!(matches!(cache.lookup(&two), Lookup::Hit(_)));
        cache.invalidate(b"*");
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.generation(), 2);
    }

    #[test]
    fn misses_are_cached_only_when_asked_and_the_size_is_bounded() {
        let cache = Cache::new(CacheOptions::default().cache_misses(false).max_entries(2));
        let field = lookup_field(["a", "b", "c", "d", "e"]);
        cache.insert(&field, None, 0);
        assert_eq!(cache.len(), 0);
        for value in ["1", "2", "3"] {
            cache.insert(&lookup_field(["a", "b", value, "d", "e"]), answer(value), 0);
        }
        assert!(cache.len() <= 2);
    }

    #[test]
    fn a_closed_cache_serves_nothing() {
        let cache = Cache::new(CacheOptions::default());
        let field = lookup_field(["a", "b", "c", "d", "e"]);
        cache.insert(&field, answer("v"), 0);
        cache.set_live(false);
        assert!(matches!(cache.lookup(&field), Lookup::Off));
        cache.insert(&field, answer("v"), cache.generation());
        assert_eq!(cache.len(), 0);
    }
}
