//! Rough figures for kvdb-dict on a private redis-server: translate against a raw HGET,
//! the cached translate rate, batch translate, and import throughput. The criterion
//! benchmarks in `benches/` are the reference; this is the quick look.
//!
//! ```text
//! cargo run --release -p kvdb-dict --example dict_throughput
//! ```

use std::error::Error;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::{
    CacheOptions, Dict, Document, Entry, EntryId, ImportMode, TranslationId, TranslationKey,
    TranslationRecord,
};
use kvdb_test::RedisServer;

const ROUNDS: usize = 5;
const CALLS: usize = 4_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await?);
    let dict = Dict::new(Arc::clone(&store), "bench");
    dict.import(&document(1_000, 1_000)?, ImportMode::Replace)
        .await?;

    // Uncached translate against the HGET it sends, in alternating rounds.
    let lookup_key = store.namespace().keyspace("dict", "bench").key("lookup");
    let field = "3:src2:k77:value 73:dst2:k7"; // what translate asks below
    let mut raw = Duration::ZERO;
    let mut ours = Duration::ZERO;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..CALLS {
            let mut cmd = kvdb_core::redis::cmd("HGET");
            cmd.arg(&lookup_key).arg(field);
            let reply = store.req_command(&cmd).await?;
            assert!(
                matches!(reply, kvdb_core::redis::Value::BulkString(_)),
                "the baseline must hit"
            );
            black_box(reply);
        }
        raw += started.elapsed();
        let started = Instant::now();
        for _ in 0..CALLS {
            black_box(dict.translate("src", "k7", "value 7", "dst", "k7").await?);
        }
        ours += started.elapsed();
    }
    let per = |d: Duration| d / (ROUNDS * CALLS) as u32;
    println!(
        "uncached translate {:?}/call, raw HGET {:?}/call: ratio {:.3}",
        per(ours),
        per(raw),
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    let answer = dict.translate("src", "k7", "value 7", "dst", "k7").await?;
    assert_eq!(
        answer.map(|t| t.value.to_string()).as_deref(),
        Some("target 7")
    );

    // Cached translate, all hits, on this one thread.
    let cached = dict.clone().with_cache(CacheOptions::default()).await?;
    cached
        .translate("src", "k7", "value 7", "dst", "k7")
        .await?;
    let n = 5_000_000;
    let started = Instant::now();
    for _ in 0..n {
        black_box(
            cached
                .translate("src", "k7", "value 7", "dst", "k7")
                .await?,
        );
    }
    let took = started.elapsed();
    println!(
        "cached translate: {:.1}M/s ({:?}/call)",
        n as f64 / took.as_secs_f64() / 1e6,
        took / n
    );
    let key = TranslationKey::new("src", "k7", "value 7", "dst", "k7");
    let started = Instant::now();
    for _ in 0..n {
        black_box(cached.translate_key(&key).await?);
    }
    let took = started.elapsed();
    println!(
        "cached translate_key: {:.1}M/s",
        n as f64 / took.as_secs_f64() / 1e6
    );

    // Batch translate, uncached: 100 questions per HMGET.
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
    let started = Instant::now();
    for _ in 0..2_000 {
        black_box(dict.translate_many(&keys).await?);
    }
    let took = started.elapsed();
    println!(
        "batch translate (100 per HMGET): {:.0}k answers/s",
        200_000.0 / took.as_secs_f64() / 1e3
    );

    // Imports: 100,000 entries + 100,000 translations.
    let big = document(50_000, 100_000)?;
    let target = Dict::new(Arc::clone(&store), "import");
    let started = Instant::now();
    target.import(&big, ImportMode::Replace).await?;
    let took = started.elapsed();
    println!(
        "replace import of 100k entries + 100k translations: {took:?} ({:.0}k records/s)",
        200.0 / took.as_secs_f64()
    );
    let merged = Dict::new(Arc::clone(&store), "merge");
    let started = Instant::now();
    merged.import(&big, ImportMode::Merge).await?;
    let took = started.elapsed();
    println!(
        "merge import of the same into an empty dictionary: {took:?} ({:.0}k records/s)",
        200.0 / took.as_secs_f64()
    );
    let started = Instant::now();
    let json = target.export().await?.to_json();
    let exported = started.elapsed();
    let started = Instant::now();
    let parsed = Document::parse(&json)?;
    println!(
        "export {exported:?}, parse + check {:?} ({} MB of JSON, {} records)",
        started.elapsed(),
        json.len() / 1_000_000,
        parsed.entries().len() + parsed.translations().len()
    );
    Ok(())
}

/// `2 * pairs` entries and up to `2 * pairs` translations (src -> dst, then dst -> src).
fn document(pairs: usize, translations: usize) -> Result<Document, kvdb_dict::Error> {
    let mut entries = Vec::with_capacity(2 * pairs);
    for i in 0..pairs {
        entries.push(Entry::new(
            EntryId(2 * i as u64 + 1),
            "src",
            format!("k{}", i % 10),
            format!("value {i}"),
        ));
        entries.push(Entry::new(
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
    Document::new(entries, records)
}
