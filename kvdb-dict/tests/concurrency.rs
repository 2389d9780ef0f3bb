//! 16 concurrent editors and translators on one small dictionary, through two stores; at
//! the end every rule and index must hold.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::{CacheOptions, DeleteMode, Dict, EntryRef, Error, TranslationId, TranslationKey};
use kvdb_test::RedisServer;

const SYSTEMS: [&str; 3] = ["A", "B", "C"];
const KEYS: [&str; 2] = ["k1", "k2"];
const VALUES: [&str; 6] = ["v0", "v1", "v2", "v3", "v4", "v5"];
const EDITORS: usize = 10;
const TRANSLATORS: usize = 6;
const OPS: usize = 1000;

/// xorshift64: deterministic per task, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn triple(&mut self) -> (&'static str, &'static str, &'static str) {
        (self.pick(&SYSTEMS), self.pick(&KEYS), self.pick(&VALUES))
    }
}

/// The refusals concurrent editors may meet; anything else fails the test.
fn expected(result: Result<impl Sized, Error>) {
    match result {
        Ok(_)
        | Err(Error::DuplicateEntry { .. })
        | Err(Error::DuplicateTranslation { .. })
        | Err(Error::SamePair { .. })
        | Err(Error::EntryNotFound(_))
        | Err(Error::TranslationNotFound(_))
        | Err(Error::EntryInUse { .. }) => {}
        Err(other) => panic!("unexpected error: {other}"),
    }
}

async fn editor(dict: Dict, seed: u64) {
    let mut rng = Rng(seed);
    for _ in 0..OPS {
        let (s, k, v) = rng.triple();
        let tid = TranslationId(1 + rng.next() % 40);
        match rng.next() % 8 {
            0 | 1 => expected(dict.create_entry(s, k, v).await),
            2 => {
                if let Some(id) = dict.find_entry(s, k, v).await.expect("test helper") {
                    let (s2, k2, v2) = rng.triple();
                    expected(dict.edit_entry(id, s2, k2, v2).await);
                }
            }
            3 => {
                if let Some(id) = dict.find_entry(s, k, v).await.expect("test helper") {
                    let mode = if rng.next() % 2 == 0 {
                        DeleteMode::Cascade
                    } else {
                        DeleteMode::Refuse
                    };
                    expected(dict.delete_entry(id, mode).await);
                }
            }
            4 | 5 => {
                let target = rng.triple();
                expected(
                    dict.create_translation((s, k, v), EntryRef::from(target))
                        .await,
                );
            }
            6 => {
                if rng.next() % 2 == 0 {
                    expected(dict.set_translation_value(tid, v).await);
                } else {
                    let target = rng.triple();
                    expected(
                        dict.edit_translation(tid, (s, k, v), EntryRef::from(target))
                            .await,
                    );
                }
            }
            _ => expected(dict.delete_translation(tid).await),
        }
    }
}

async fn translator(dict: Dict, seed: u64) {
    let mut rng = Rng(seed);
    for round in 0..OPS {
        let (s1, k1, v1) = rng.triple();
        let (s2, k2) = (rng.pick(&SYSTEMS), rng.pick(&KEYS));
        if round % 5 == 0 {
            let keys: Vec<TranslationKey> = VALUES
                .iter()
                .map(|v| TranslationKey::new(s1, k1, v, s2, k2))
                .collect();
            for answer in dict
                .translate_many(&keys)
                .await
                .expect("test helper")
                .into_iter()
                .flatten()
            {
                assert!(VALUES.contains(&answer.value()), "{answer:?}");
            }
        } else if let Some(answer) = dict
            .translate(s1, k1, v1, s2, k2)
            .await
            .expect("test helper")
        {
            assert!(VALUES.contains(&answer.value()), "{answer:?}");
            assert!(answer.source.0 > 0 && answer.target.0 > 0 && answer.translation.0 > 0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_editors_and_translators_leave_a_consistent_dictionary() {
    let server = RedisServer::start();
    let a: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let b: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let plain = [
        Dict::new(Arc::clone(&a), "busy"),
        Dict::new(Arc::clone(&b), "busy"),
    ];
    let cached = Dict::new(Arc::clone(&b), "busy")
        .with_cache(CacheOptions::default())
        .await
        .unwrap();
    // Start with some of everything, so that edits and deletes have targets from the start.
    for (s, k, v) in (0..20).map(|i| (SYSTEMS[i % 3], KEYS[i % 2], VALUES[i % 6])) {
        expected(plain[0].create_entry(s, k, v).await);
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..EDITORS {
        tasks.push(tokio::spawn(editor(
            plain[i % 2].clone(),
            0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
        )));
    }
    for i in 0..TRANSLATORS {
        let dict = if i % 2 == 0 {
            cached.clone()
        } else {
            plain[i % 2].clone()
        };
        tasks.push(tokio::spawn(translator(
            dict,
            0xD1B5_4A32_D192_ED03 ^ (i as u64 + 1),
        )));
    }
    assert_eq!(tasks.len(), 16);
    for task in tasks {
        task.await.unwrap();
    }
    eprintln!(
        "{} editors x {OPS} changes and {} translators x {OPS} reads in {:?}",
        EDITORS,
        TRANSLATORS,
        started.elapsed()
    );

    // Every rule and index holds.
    let problems = plain[0].verify().await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let entries = plain[0].entries().await.unwrap();
    let translations = plain[0].translations().await.unwrap();
    eprintln!(
        "left {} entries and {} translations",
        entries.len(),
        translations.len()
    );
    assert!(
        !entries.is_empty() && !translations.is_empty(),
        "the run should leave something behind"
    );
    for t in &translations {
        assert!(
            entries.contains(&t.source) && entries.contains(&t.target),
            "{t}"
        );
        assert!(
            (t.source.system.as_str(), t.source.key.as_str())
                != (t.target.system.as_str(), t.target.key.as_str())
        );
    }

    // The cache agrees with the store once the last invalidations have arrived.
    let deadline = Instant::now() + Duration::from_secs(5);
    for (s1, k1, v1) in SYSTEMS.iter().flat_map(|s| {
        KEYS.iter()
            .flat_map(move |k| VALUES.iter().map(move |v| (*s, *k, *v)))
    }) {
        for (s2, k2) in SYSTEMS
            .iter()
            .flat_map(|s| KEYS.iter().map(move |k| (*s, *k)))
        {
            let truth = plain[0].translate(s1, k1, v1, s2, k2).await.unwrap();
            loop {
                let seen = cached.translate(s1, k1, v1, s2, k2).await.unwrap();
                if seen == truth {
                    break;
                }
                assert!(Instant::now() < deadline, "cache still says {seen:?} for {s1}/{k1}/{v1} -> {s2}/{k2}, store says {truth:?}");
                tokio::task::yield_now().await;
            }
        }
    }
}

#[tokio::test]
async fn verify_finds_damage() {
    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let dict = Dict::new(store, "damaged");
    let x = dict.create_entry("s", "k", "x").await.unwrap();
    let y = dict.create_entry("t", "k", "y").await.unwrap();
    dict.create_translation(x, y).await.unwrap();
    assert!(dict.verify().await.unwrap().is_empty());
    // An entry vanishes behind the scripts' back.
    server.raw_command(&["HDEL", "kvdb:{dict:damaged}:entries", &y.to_string()]);
    let problems = dict.verify().await.unwrap();
    assert!(
        problems.iter().any(|p| p.contains("missing entry")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("points at no such entry")),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_imports_during_edits_land_and_stay_consistent() {
    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let dict = Dict::new(Arc::clone(&store), "merging");
    for (s, k, v) in (0..20).map(|i| (SYSTEMS[i % 3], KEYS[i % 2], VALUES[i % 6])) {
        expected(dict.create_entry(s, k, v).await);
    }
    let document = {
        let other = Dict::new(Arc::clone(&store), "merge-source");
        for i in 0..200 {
            let source = other
                .create_entry("M", "from", &format!("m{i}"))
                .await
                .unwrap();
            let target = other
                .create_entry("N", "to", &format!("n{i}"))
                .await
                .unwrap();
            other.create_translation(source, target).await.unwrap();
        }
        other.export().await.unwrap()
    };
    let editors: Vec<_> = (0..4)
        .map(|i| tokio::spawn(editor(dict.clone(), 77 + i)))
        .collect();
    // Each merge is one transaction: editors run before or after it, and cannot starve it.
    let mut added = Vec::new();
    for _ in 0..5 {
        let summary = dict
            .import(&document, kvdb_dict::ImportMode::Merge)
            .await
            .unwrap();
        added.push(summary.entries_added);
    }
    for editor in editors {
        editor.await.unwrap();
    }
    assert_eq!(added, [400, 0, 0, 0, 0]);
    let problems = dict.verify().await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");

    // The editors may have edited or deleted merged translations (they pick ids at random);
    // one more merge puts every one of the document's translations back.
    dict.import(&document, kvdb_dict::ImportMode::Merge)
        .await
        .unwrap();
    let keys: Vec<TranslationKey> = (0..200)
        .map(|i| TranslationKey::new("M", "from", &format!("m{i}"), "N", "to"))
        .collect();
    let answers = dict.translate_many(&keys).await.unwrap();
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(
            answer.as_ref().map(|t| t.value()),
            Some(format!("n{i}").as_str())
        );
    }
    assert!(dict.verify().await.unwrap().is_empty());
}
