//! The local cache: invalidated through pub/sub by changes from any process, never serving
//! an answer once its invalidation arrived, cleared after a reconnect. Measures how long an
//! invalidation takes to arrive.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::{CacheOptions, Dict, Document, EntryId, ImportMode};
use kvdb_test::RedisServer;

/// Two handles on one dictionary through two connections: `cached` (with a cache) and `plain`.
async fn two_stores(server: &RedisServer, name: &str) -> (Dict, Dict) {
    let a: Arc<dyn KvStore> = Arc::new(
        RedisStore::connect(&server.url())
            .await
            .expect("test helper"),
    );
    let b: Arc<dyn KvStore> = Arc::new(
        RedisStore::connect(&server.url())
            .await
            .expect("test helper"),
    );
    let cached = Dict::new(a, name)
        .with_cache(CacheOptions::default())
        .await
        .expect("test helper");
    (cached, Dict::new(b, name))
}

/// Waits until the cache's generation passes `before`; returns how long that took.
async fn invalidation_after(dict: &Dict, before: u64) -> Duration {
    let started = Instant::now();
    while dict.cache_generation().expect("test helper") <= before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no invalidation within 5 s"
        );
        tokio::task::yield_now().await;
    }
    started.elapsed()
}

/// Makes the translation CRM/currency/EUR -> billing/code/978 through `plain` and waits
/// until its invalidation reached `cached` (until then, answers read are not stored).
async fn eur_978(cached: &Dict, plain: &Dict) -> (EntryId, EntryId, kvdb_dict::TranslationId) {
    let eur = plain
        .create_entry("CRM", "currency", "EUR")
        .await
        .expect("test helper");
    let code = plain
        .create_entry("billing", "code", "978")
        .await
        .expect("test helper");
    let before = cached.cache_generation().expect("test helper");
    let t = plain
        .create_translation(eur, code)
        .await
        .expect("test helper");
    invalidation_after(cached, before).await;
    (eur, code, t)
}

async fn value(dict: &Dict) -> Option<String> {
    dict.translate("CRM", "currency", "EUR", "billing", "code")
        .await
        .expect("test helper")
        .map(|t| t.value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_in_one_store_reach_the_cache_of_another_and_nothing_stale_is_served() {
    let server = RedisServer::start();
    let (cached, plain) = two_stores(&server, "prop").await;
    let (_, _, t) = eur_978(&cached, &plain).await;
    plain.create_entry("billing", "code", "0978").await.unwrap();

    assert_eq!(value(&cached).await.as_deref(), Some("978"));
    let held = cached.cached_translation("CRM", "currency", "EUR", "billing", "code");
    assert_eq!(
        held.flatten().map(|t| t.value.to_string()).as_deref(),
        Some("978"),
        "the answer is held"
    );

    // Readers keep the cache busy (and racing the invalidations) the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (dict, stop, reads) = (cached.clone(), Arc::clone(&stop), Arc::clone(&reads));
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                value(&dict).await;
                reads.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }));
    }

    // The writer, through the other store.
    let writer = tokio::spawn({
        let (cached, plain) = (cached.clone(), plain.clone());
        async move {
            let mut from_start = Vec::new();
            let mut from_reply = Vec::new();
            for round in 1..=200 {
                let (target, want) = if round % 2 == 1 {
                    ("0978", "0978")
                } else {
                    ("978", "978")
                };
                let before = cached.cache_generation().unwrap();
                let started = Instant::now();
                plain.set_translation_value(t, target).await.unwrap();
                let replied = started.elapsed();
                let waited = invalidation_after(&cached, before).await;
                from_start.push(replied + waited);
                from_reply.push(waited);
                // The invalidation arrived: the old answer must never be served again.
                for _ in 0..3 {
                    assert_eq!(value(&cached).await.as_deref(), Some(want), "round {round}");
                }
            }
            (from_start, from_reply)
        }
    });
    let (mut from_start, mut from_reply) = writer.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    from_start.sort();
    from_reply.sort();
    let pct = |v: &[Duration], p: usize| v[(v.len() - 1) * p / 100];
    eprintln!(
        "invalidation propagation over {} changes ({} cached reads meanwhile): \
         change sent -> cache invalidated p50 {:?} p99 {:?} max {:?}; \
         change acknowledged -> cache invalidated p50 {:?} p99 {:?} max {:?}",
        from_start.len(),
        reads.load(Ordering::Relaxed),
        pct(&from_start, 50),
        pct(&from_start, 99),
        pct(&from_start, 100),
        pct(&from_reply, 50),
        pct(&from_reply, 99),
        pct(&from_reply, 100),
    );
    assert!(pct(&from_start, 100) < Duration::from_secs(1));
}

#[tokio::test]
async fn a_cached_no_answer_is_invalidated_when_a_translation_appears() {
    let server = RedisServer::start();
    let (cached, plain) = two_stores(&server, "negative").await;
    let eur = plain.create_entry("CRM", "currency", "EUR").await.unwrap();
    let code = plain.create_entry("billing", "code", "978").await.unwrap();
    assert_eq!(value(&cached).await, None);
    assert_eq!(
        cached.cached_translation("CRM", "currency", "EUR", "billing", "code"),
        Some(None)
    );

    let before = cached.cache_generation().unwrap();
    plain.create_translation(eur, code).await.unwrap();
    invalidation_after(&cached, before).await;
    assert_eq!(
        cached.cached_translation("CRM", "currency", "EUR", "billing", "code"),
        None
    );
    assert_eq!(value(&cached).await.as_deref(), Some("978"));

    // Deleting the source entry (cascade) removes the answer everywhere too.
    let before = cached.cache_generation().unwrap();
    plain
        .delete_entry(eur, kvdb_dict::DeleteMode::Cascade)
        .await
        .unwrap();
    invalidation_after(&cached, before).await;
    assert_eq!(value(&cached).await, None);
}

#[tokio::test]
async fn a_handle_sees_its_own_changes_at_once() {
    let server = RedisServer::start();
    let (cached, _plain) = two_stores(&server, "own").await;
    let eur = cached.create_entry("CRM", "currency", "EUR").await.unwrap();
    let code = cached.create_entry("billing", "code", "978").await.unwrap();
    cached
        .create_entry("billing", "code", "0978")
        .await
        .unwrap();
    assert_eq!(value(&cached).await, None);
    let t = cached.create_translation(eur, code).await.unwrap();
    assert_eq!(value(&cached).await.as_deref(), Some("978"));
    cached.set_translation_value(t, "0978").await.unwrap();
    assert_eq!(value(&cached).await.as_deref(), Some("0978"));
    cached
        .edit_entry(EntryId(3), "billing", "code", "00978")
        .await
        .unwrap();
    assert_eq!(value(&cached).await.as_deref(), Some("00978"));
    cached.delete_translation(t).await.unwrap();
    assert_eq!(value(&cached).await, None);
}

#[tokio::test]
async fn batch_translate_uses_and_fills_the_cache() {
    let server = RedisServer::start();
    let (cached, plain) = two_stores(&server, "batch").await;
    eur_978(&cached, &plain).await;
    let keys: Vec<_> = ["EUR", "USD"]
        .iter()
        .map(|v| kvdb_dict::TranslationKey::new("CRM", "currency", v, "billing", "code"))
        .collect();
    let first = cached.translate_many(&keys).await.unwrap();
    assert_eq!(cached.cache_len(), Some(2));
    assert_eq!(cached.translate_many(&keys).await.unwrap(), first);
    assert_eq!(first[0].as_ref().map(|t| t.value()), Some("978"));
    assert!(first[1].is_none());
}

#[tokio::test]
async fn an_import_elsewhere_empties_the_cache() {
    let server = RedisServer::start();
    let (cached, plain) = two_stores(&server, "import").await;
    eur_978(&cached, &plain).await;
    assert_eq!(value(&cached).await.as_deref(), Some("978"));
    assert!(cached
        .cached_translation("CRM", "currency", "EUR", "billing", "code")
        .is_some());

    let before = cached.cache_generation().unwrap();
    let empty = Document::new(Vec::new(), Vec::new()).unwrap();
    plain.import(&empty, ImportMode::Replace).await.unwrap();
    invalidation_after(&cached, before).await;
    assert_eq!(cached.cache_len(), Some(0));
    assert_eq!(value(&cached).await, None);
}

#[tokio::test]
async fn a_reconnect_empties_the_cache() {
    let mut server = RedisServer::start();
    let (cached, plain) = two_stores(&server, "reconnect").await;
    eur_978(&cached, &plain).await;
    assert_eq!(value(&cached).await.as_deref(), Some("978"));
    assert!(cached
        .cached_translation("CRM", "currency", "EUR", "billing", "code")
        .is_some());

    // The server dies and comes back empty: no invalidation message was ever sent, so only
    // the reconnect can tell the cache that what it holds may be stale.
    let before = cached.cache_generation().unwrap();
    server.kill();
    server.start_again();
    invalidation_after(&cached, before).await;
    assert_eq!(cached.cache_len(), Some(0));
    let started = Instant::now();
    let answer = loop {
        match cached
            .translate("CRM", "currency", "EUR", "billing", "code")
            .await
        {
            Ok(answer) => break answer,
            Err(kvdb_dict::Error::Store(e))
                if e.is_retryable() && started.elapsed() < Duration::from_secs(10) =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(answer, None);
}
