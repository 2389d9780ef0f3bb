//! Export, import (replace and merge), and imports that must change nothing.

mod support;

use std::sync::Arc;
use std::time::Instant;

use kvdb_core::KvStoreExt;
use kvdb_dict::{
    Dict, Document, Entry, EntryId, Error, ImportMode, ImportStage, TranslationId,
    TranslationRecord,
};
use kvdb_test::RedisServer;
use support::store;

async fn sample(dict: &Dict) {
    let eur = dict
        .create_entry("CRM", "currency", "EUR")
        .await
        .expect("test helper");
    let usd = dict
        .create_entry("CRM", "currency", "USD:::$")
        .await
        .expect("test helper");
    let n978 = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .expect("test helper");
    let n840 = dict
        .create_entry("billing", "currency_code", "840\nline")
        .await
        .expect("test helper");
    let odd = dict
        .create_entry("sys {x}", "k:::y", "🦀 {\"json\": [1]}")
        .await
        .expect("test helper");
    dict.create_translation(eur, n978)
        .await
        .expect("test helper");
    dict.create_translation(usd, n840)
        .await
        .expect("test helper");
    dict.create_translation(odd, eur)
        .await
        .expect("test helper");
    // A gap in the ids, to see that they survive.
    let gone = dict
        .create_entry("tmp", "tmp", "tmp")
        .await
        .expect("test helper");
    dict.delete_entry(gone, Default::default())
        .await
        .expect("test helper");
}

#[tokio::test]
async fn export_then_import_round_trips_with_the_same_ids() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let source = Dict::new(Arc::clone(&store), "source");
    sample(&source).await;
    let exported = source.export().await.unwrap();
    assert_eq!(
        (exported.entries().len(), exported.translations().len()),
        (5, 3)
    );
    assert_eq!(exported.last_entry_id(), 6);

    let json = exported.to_json();
    let parsed = Document::parse(&json).unwrap();
    assert_eq!(parsed, exported);

    let copy = Dict::new(Arc::clone(&store), "copy");
    copy.create_entry("old", "old", "old").await.unwrap();
    let mut reports = Vec::new();
    let summary = copy
        .import_with_progress(&parsed, ImportMode::Replace, |p| reports.push(p))
        .await
        .unwrap();
    assert_eq!((summary.entries, summary.translations), (5, 3));
    assert_eq!(
        reports.first().map(|p| (p.stage, p.done)),
        Some((ImportStage::Sending, 0))
    );
    assert_eq!(
        reports.last().map(|p| (p.stage, p.done, p.total)),
        Some((ImportStage::Done, 8, 8))
    );
    assert!(reports.iter().any(|p| p.stage == ImportStage::Applying));

    assert_eq!(copy.export().await.unwrap(), exported);
    assert_eq!(
        copy.entries().await.unwrap(),
        source.entries().await.unwrap()
    );
    assert!(copy
        .find_entry("old", "old", "old")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        copy.systems().await.unwrap(),
        source.systems().await.unwrap()
    );
    let hit = copy
        .translate("CRM", "currency", "USD:::$", "billing", "currency_code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*hit.value, "840\nline");
    // The counters came along: the next id follows the exported ones.
    assert_eq!(
        copy.create_entry("new", "new", "new").await.unwrap(),
        EntryId(7)
    );
    assert!(copy.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn merge_matches_entries_by_value_and_lets_the_document_win() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let dict = Dict::new(Arc::clone(&store), "merge");
    let eur = dict.create_entry("CRM", "currency", "EUR").await.unwrap();
    let n978 = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .unwrap();
    let t = dict.create_translation(eur, n978).await.unwrap();
    let keep = dict.create_entry("CRM", "currency", "JPY").await.unwrap();

    // The document numbers things its own way.
    let doc = Document::new(
        vec![
            Entry::new(EntryId(10), "CRM", "currency", "EUR"),
            Entry::new(EntryId(11), "billing", "currency_code", "0978"),
            Entry::new(EntryId(12), "CRM", "currency", "USD"),
            Entry::new(EntryId(13), "billing", "currency_code", "840"),
        ],
        vec![
            TranslationRecord::new(TranslationId(1), EntryId(10), EntryId(11)),
            TranslationRecord::new(TranslationId(2), EntryId(12), EntryId(13)),
        ],
    )
    .unwrap();
    let summary = dict.import(&doc, ImportMode::Merge).await.unwrap();
    assert_eq!(
        (
            summary.entries,
            summary.translations,
            summary.entries_added,
            summary.translations_added,
            summary.translations_changed
        ),
        (6, 2, 3, 1, 1)
    );
    // Existing entries and translations keep their ids; the document's target won.
    let hit = dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&*hit.value, hit.translation, hit.source), ("0978", t, eur));
    assert_eq!(dict.entry(keep).await.unwrap().unwrap().value, "JPY");
    assert_eq!(
        &*dict
            .translate("CRM", "currency", "USD", "billing", "currency_code")
            .await
            .unwrap()
            .unwrap()
            .value,
        "840"
    );
    // New ids follow the old ones.
    assert_eq!(
        dict.find_entry("CRM", "currency", "USD").await.unwrap(),
        Some(EntryId(5))
    );
    assert!(dict.verify().await.unwrap().is_empty());

    // Merging the same document again changes nothing.
    let again = dict.import(&doc, ImportMode::Merge).await.unwrap();
    assert_eq!(
        (
            again.entries_added,
            again.translations_added,
            again.translations_changed
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn a_bad_document_names_the_first_bad_record_and_changes_nothing() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let dict = Dict::new(Arc::clone(&store), "bad");
    sample(&dict).await;
    let before = dict.export().await.unwrap();

    let cases: &[(&str, &str)] = &[
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":2,"system":"a","key":"k\u0001","value":"v"}],"translations":[]}"#,
            "entries[1].key",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":1,"system":"b","key":"k","value":"v"}],"translations":[]}"#,
            "entries[1].id",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":2,"system":"a","key":"k","value":"v"}],"translations":[]}"#,
            "entries[1].value",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":2,"system":"b","key":"k","value":"v"}],"translations":[{"id":1,"source":1,"target":2},{"id":2,"source":1,"target":3}]}"#,
            "translations[1].target",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":2,"system":"a","key":"k","value":"w"}],"translations":[{"id":1,"source":1,"target":2}]}"#,
            "translations[0].target",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":"v"},{"id":2,"system":"b","key":"k","value":"v"},{"id":3,"system":"b","key":"k","value":"w"}],"translations":[{"id":1,"source":1,"target":2},{"id":2,"source":1,"target":3}]}"#,
            "translations[1].target",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"a","key":"k","value":7}],"translations":[]}"#,
            "entries[0].value",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"entries":[{"id":-1,"system":"a","key":"k","value":"v"}],"translations":[]}"#,
            "entries[0].id",
        ),
        (
            r#"{"format":"kvdb-dict","version":2,"entries":[],"translations":[]}"#,
            "version",
        ),
        (
            r#"{"format":"kvdb-dict","version":1,"translations":[]}"#,
            "entries",
        ),
    ];
    for (json, location) in cases {
        match Document::parse(json.as_bytes()) {
            Err(Error::InvalidDocument { location: got, .. }) => {
                assert_eq!(got, *location, "{json}")
            }
            other => panic!("expected an error at {location}, got {other:?}"),
        }
    }
    for junk in [
        &b"not json"[..],
        b"BZh9 broken",
        br#"{"data": "%%%"}"#,
        br#"{"something": "else"}"#,
        b"[1, 2]",
    ] {
        assert!(
            Document::parse(junk).is_err(),
            "{:?}",
            String::from_utf8_lossy(junk)
        );
    }
    assert_eq!(dict.export().await.unwrap(), before);
}

#[tokio::test]
async fn an_import_the_server_refuses_midway_changes_nothing() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let dict = Dict::new(Arc::clone(&store), "refused");
    sample(&dict).await;
    let before = dict.export().await.unwrap();
    let big = big_document(20_000, 0);

    // Leave the server almost no memory: the queued commands go over, the server refuses
    // them, and the transaction is discarded.
    let used: u64 = store
        .info_section("memory")
        .await
        .unwrap()
        .get("used_memory")
        .and_then(|v| v.as_i64())
        .unwrap() as u64;
    server.raw_command(&[
        "CONFIG",
        "SET",
        "maxmemory",
        &(used + 512 * 1024).to_string(),
    ]);
    let result = dict.import(&big, ImportMode::Replace).await;
    server.raw_command(&["CONFIG", "SET", "maxmemory", "0"]);
    let err = result.unwrap_err();
    assert!(err.to_string().contains("OOM"), "{err}");
    assert_eq!(dict.export().await.unwrap(), before);
    assert!(dict.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn readers_see_the_old_or_the_new_dictionary_never_a_mix() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let dict = Dict::new(Arc::clone(&store), "atomic");
    dict.import(&big_document(1_000, 1_000), ImportMode::Replace)
        .await
        .unwrap();
    let reader_store = Arc::clone(&store);
    let key = kvdb_core::Namespace::default()
        .keyspace("dict", "atomic")
        .key("entries");
    let reader = tokio::spawn(async move {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let n: u64 = reader_store
                .query(kvdb_core::redis::cmd("HLEN").arg(&key))
                .await
                .unwrap();
            seen.insert(n);
            if n == 40_000 {
                break;
            }
        }
        seen
    });
    dict.import(&big_document(20_000, 0), ImportMode::Replace)
        .await
        .unwrap();
    let seen = reader.await.unwrap();
    assert!(seen.iter().all(|n| *n == 2_000 || *n == 40_000), "{seen:?}");
    assert!(dict.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_large_import_is_pipelined() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let dict = Dict::new(Arc::clone(&store), "large");
    // 100,000 entries and 100,000 translations.
    let n = 100_000;
    let doc = big_document(n / 2, n);
    let started = Instant::now();
    let mut batches = 0;
    let summary = dict
        .import_with_progress(&doc, ImportMode::Replace, |_| batches += 1)
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("imported {n} entries + {n} translations in {took:?} ({batches} progress reports)");
    assert_eq!((summary.entries, summary.translations), (n, n));
    assert!(batches > 10, "progress should be reported along the way");
    let hit = dict
        .translate("src", "k7", "value 12347", "dst", "k7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*hit.value, "target 12347");
    let back = dict
        .translate("dst", "k7", "target 12347", "src", "k7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*back.value, "value 12347");
    // Debug builds on a shared machine: a generous bound that still rules out one round
    // trip per record (which alone would take ~100k x 45 us = 4.5 s, more in practice).
    assert!(took.as_secs() < 20, "import took {took:?}");

    // The same document merged into a dictionary that holds part of it.
    let merged = Dict::new(Arc::clone(&store), "large-merge");
    merged
        .import(&big_document(n / 4, n / 4), ImportMode::Replace)
        .await
        .unwrap();
    let started = Instant::now();
    let summary = merged.import(&doc, ImportMode::Merge).await.unwrap();
    let took = started.elapsed();
    eprintln!(
        "merged {n} entries + {n} translations into {} + {} in {took:?}",
        n / 2,
        n / 4
    );
    assert_eq!((summary.entries, summary.translations), (n, n));
    assert_eq!(
        (
            summary.entries_added,
            summary.translations_added,
            summary.translations_changed
        ),
        (n / 2, 3 * n / 4, 0)
    );
    assert!(took.as_secs() < 30, "merge took {took:?}");
}

/// `2 * pairs` entries ("src" and "dst" values) and `translations` translations: first
/// src -> dst, then (past `pairs`) dst -> src.
fn big_document(pairs: usize, translations: usize) -> Document {
    let mut list = Vec::with_capacity(pairs * 2);
    for i in 0..pairs {
        list.push(Entry::new(
            EntryId(2 * i as u64 + 1),
            "src",
            format!("k{}", i % 10),
            format!("value {i}"),
        ));
        list.push(Entry::new(
            EntryId(2 * i as u64 + 2),
            "dst",
            format!("k{}", i % 10),
            format!("target {i}"),
        ));
    }
    let records = (0..translations.min(2 * pairs))
        .map(|n| {
            let i = (n % pairs) as u64;
            let (source, target) = if n < pairs {
                (2 * i + 1, 2 * i + 2)
            } else {
                (2 * i + 2, 2 * i + 1)
            };
            TranslationRecord::new(
                TranslationId(n as u64 + 1),
                EntryId(source),
                EntryId(target),
            )
        })
        .collect();
    Document::new(list, records).expect("test helper")
}

#[tokio::test]
async fn large_ids_survive_the_scripts() {
    let server = RedisServer::start();
    let dict = Dict::new(store(&server).await, "large-ids");
    let big = 100_000_000_000_000; // 10^14: Lua's tostring would print 1e+14
    let doc = Document::new(
        vec![
            Entry::new(EntryId(big), "s", "k", "v"),
            Entry::new(EntryId(big + 1), "t", "k", "w"),
        ],
        vec![TranslationRecord::new(
            TranslationId(big),
            EntryId(big),
            EntryId(big + 1),
        )],
    )
    .unwrap();
    dict.import(&doc, ImportMode::Replace).await.unwrap();
    let x = dict.create_entry("s", "k", "x").await.unwrap();
    let y = dict.create_entry("t", "k", "y").await.unwrap();
    assert_eq!((x, y), (EntryId(big + 2), EntryId(big + 3)));
    assert_eq!(
        dict.create_translation(x, y).await.unwrap(),
        TranslationId(big + 1)
    );
    assert_eq!(
        dict.translate("s", "k", "v", "t", "k")
            .await
            .unwrap()
            .unwrap()
            .source,
        EntryId(big)
    );
    assert!(dict.verify().await.unwrap().is_empty());
}
