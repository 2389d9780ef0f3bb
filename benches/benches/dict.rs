//! kvdb-dict against raw redis-rs: uncached translate vs the raw HGET of the same field,
//! cached translate, batch translate, import (replace and merge).
//!
//! Run: `cargo bench -p benches --bench dict`, then `cargo run -p benches --bin bench-report`.

use std::hint::black_box;
use std::sync::Arc;

use benches::{criterion, raw_connection, runtime, BenchServer};
use criterion::{BenchmarkId, Criterion, Throughput};
use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::{
    CacheOptions, Dict, Document, Entry, EntryId, ImportMode, TranslationId, TranslationKey,
    TranslationRecord,
};

const PAIRS: usize = 1_000;

/// 2 x `pairs` entries (src/kN/value i and dst/kN/target i) and one translation per pair.
fn document(pairs: usize) -> Document {
    let mut entries = Vec::with_capacity(2 * pairs);
    let mut translations = Vec::with_capacity(pairs);
    for i in 0..pairs {
        let (source, target) = (EntryId(2 * i as u64 + 1), EntryId(2 * i as u64 + 2));
        entries.push(Entry::new(
            source,
            "src",
            format!("k{}", i % 10),
            format!("value {i}"),
        ));
        entries.push(Entry::new(
            target,
            "dst",
            format!("k{}", i % 10),
            format!("target {i}"),
        ));
        translations.push(TranslationRecord::new(
            TranslationId(i as u64 + 1),
            source,
            target,
        ));
    }
    Document::new(entries, translations).expect("valid document")
}

/// The lookup field kvdb-dict stores a question under: length-prefixed parts.
fn lookup_field(parts: [&str; 5]) -> String {
    parts
        .iter()
        .map(|part| format!("{}:{part}", part.len()))
        .collect()
}

fn dict(c: &mut Criterion, server: &BenchServer) {
    let rt = runtime();
    let store: Arc<dyn KvStore> = Arc::new(
        rt.block_on(RedisStore::connect(server.url()))
            .expect("connect"),
    );
    let uncached = Dict::new(store.clone(), "bench");
    rt.block_on(uncached.import(&document(PAIRS), ImportMode::Replace))
        .expect("import");
    let cached = rt
        .block_on(Dict::new(store.clone(), "bench").with_cache(CacheOptions::default()))
        .expect("cache");
    let raw = rt.block_on(raw_connection(server.url()));
    let lookup_key = store.namespace().keyspace("dict", "bench").key("lookup");
    let question = ["src", "k7", "value 7", "dst", "k7"];
    let field = lookup_field(question);
    let hit: Option<String> = rt
        .block_on(
            redis::cmd("HGET")
                .arg(&lookup_key)
                .arg(&field)
                .query_async(&mut raw.clone()),
        )
        .expect("hget");
    assert!(
        hit.is_some(),
        "the raw baseline must read the same field translate reads"
    );

    let mut group = c.benchmark_group("dict");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("kvdb", "translate-uncached"), |b| {
        b.to_async(&rt).iter(|| async {
            let [s1, k1, v1, s2, k2] = question;
            black_box(
                uncached
                    .translate(s1, k1, v1, s2, k2)
                    .await
                    .expect("translate"),
            )
        })
    });
    group.bench_function(BenchmarkId::new("raw", "translate-uncached"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            let value: Option<String> = redis::cmd("HGET")
                .arg(&lookup_key)
                .arg(&field)
                .query_async(&mut conn)
                .await
                .expect("hget");
            black_box(value)
        })
    });

    // Cached: no I/O at all, so it is measured as plain CPU work on one core.
    rt.block_on(cached.translate("src", "k7", "value 7", "dst", "k7"))
        .expect("warm");
    group.bench_function(BenchmarkId::new("kvdb", "translate-cached"), |b| {
        b.iter(|| black_box(cached.cached_translation("src", "k7", "value 7", "dst", "k7")))
    });

    let keys: Vec<TranslationKey> = (0..100)
        .map(|i| {
            TranslationKey::new(
                "src",
                &format!("k{}", i % 10),
                &format!("value {i}"),
                "dst",
                &format!("k{}", i % 10),
            )
        })
        .collect();
    let fields: Vec<String> = (0..100)
        .map(|i| {
            let (k, v) = (format!("k{}", i % 10), format!("value {i}"));
            lookup_field(["src", &k, &v, "dst", &k])
        })
        .collect();
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_function(BenchmarkId::new("kvdb", "translate-batch-100"), |b| {
        b.to_async(&rt).iter(|| async {
            let answers = uncached.translate_many(&keys).await.expect("batch");
            assert!(answers.iter().all(Option::is_some));
            black_box(answers)
        })
    });
    group.bench_function(BenchmarkId::new("raw", "translate-batch-100"), |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = raw.clone();
            let values: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(&lookup_key)
                .arg(&fields)
                .query_async(&mut conn)
                .await
                .expect("hmget");
            black_box(values)
        })
    });

    let big = document(10_000);
    group.throughput(Throughput::Elements(
        (big.entries().len() + big.translations().len()) as u64,
    ));
    group.sample_size(10);
    group.bench_function(
        BenchmarkId::new("kvdb", "import-replace-30k-records"),
        |b| {
            let target = Dict::new(store.clone(), "import-bench");
            b.to_async(&rt).iter(|| async {
                target
                    .import(&big, ImportMode::Replace)
                    .await
                    .expect("import")
            })
        },
    );
    // Merge: server-side matching of every record against what is stored (here all of it
    // already is, so each record is compared and left alone).
    group.bench_function(BenchmarkId::new("kvdb", "import-merge-30k-records"), |b| {
        let target = Dict::new(store.clone(), "merge-bench");
        rt.block_on(target.import(&big, ImportMode::Replace))
            .expect("first import");
        b.to_async(&rt)
            .iter(|| async { target.import(&big, ImportMode::Merge).await.expect("merge") })
    });
    group.finish();
}

fn main() {
    let server = BenchServer::start();
    let mut c = criterion();
    dict(&mut c, &server);
    c.final_summary();
}
