//! Reading Zato's data-dictionary export: the real fixtures, and exports written here.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use kvdb_core::{KvStore, RedisStore};
use kvdb_dict::{Dict, Document, DocumentFormat, EntryId, Error, ImportMode, TranslationId};
use kvdb_test::RedisServer;

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::read(dir.join(name)).expect("test helper")
}

fn bz2(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    encoder.write_all(bytes).expect("test helper");
    encoder.finish().expect("test helper")
}

/// A Zato-style export: ids as Zato's hashes held them (strings in translations), a value
/// with `:::` in it (its key only splits right with the help of id1/id2), and one
/// translation without ids whose key splits cleanly.
const ZATO_EXPORT: &str = r#"{
  "meta": {"timestamp_utc": "2016-04-20T19:05:50.682287", "current_host": "esb/esb.dv", "user": "admin"},
  "data": {
    "last_dict_id": 9,
    "dict_list": [
      {"id": 1, "system": "CRM", "key": "currency", "value": "EUR"},
      {"id": 2, "system": "billing", "key": "currency_code", "value": "978"},
      {"id": 3, "system": "CRM", "key": "note", "value": "a:::b"},
      {"id": 4, "system": "ledger", "key": "note", "value": "ab"},
      {"id": 5, "system": "CRM", "key": "currency", "value": "USD"},
      {"id": 6, "system": "billing", "key": "currency_code", "value": "840"}
    ],
    "translation_list": [
      {"zato:kvdb:data-dict:translation:::CRM:::currency:::EUR:::billing:::currency_code":
        {"id": "1", "value2": "978", "id1": "1", "id2": "2"}},
      {"zato:kvdb:data-dict:translation:::CRM:::note:::a:::b:::ledger:::note":
        {"id": "2", "value2": "ab", "id1": "3", "id2": "4"}},
      {"zato:kvdb:data-dict:translation:::CRM:::currency:::USD:::billing:::currency_code":
        {"value2": "840"}}
    ],
    "last_translation_id": 2
  }
}"#;

#[tokio::test]
async fn the_real_zato_fixtures_import() {
    let export = Document::parse(&fixture("zato-data-dict-export.json.bz2")).unwrap();
    let request = Document::parse(&fixture("zato-data-dict-import-request.json")).unwrap();
    assert_eq!(export, request, "the import request wraps the same export");
    assert_eq!(export.format(), DocumentFormat::Zato);
    assert_eq!(export.entries().len(), 1);
    let entry = &export.entries()[0];
    assert_eq!(
        (
            entry.id,
            entry.system.as_str(),
            entry.key.as_str(),
            entry.value.as_str()
        ),
        (EntryId(4), "apitest", "test", "hola")
    );
    assert!(export.translations().is_empty());
    assert_eq!(
        (export.last_entry_id(), export.last_translation_id()),
        (4, 0)
    );

    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let dict = Dict::new(store, "zato-fixture");
    dict.import(&request, ImportMode::Replace).await.unwrap();
    assert_eq!(
        dict.find_entry("apitest", "test", "hola").await.unwrap(),
        Some(EntryId(4))
    );
    assert_eq!(
        dict.create_entry("apitest", "test", "adios").await.unwrap(),
        EntryId(5)
    );
}

#[tokio::test]
async fn a_zato_export_imports_plain_bz2_and_wrapped() {
    let plain = ZATO_EXPORT.as_bytes().to_vec();
    let compressed = bz2(&plain);
    assert!(compressed.starts_with(b"BZh"));
    let wrapped = format!(
        r#"{{"data": "{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(&compressed)
    )
    .into_bytes();
    let docs: Vec<Document> = [&plain, &compressed, &wrapped]
        .iter()
        .map(|b| Document::parse(b).unwrap())
        .collect();
    assert_eq!(docs[0], docs[1]);
    assert_eq!(docs[0], docs[2]);
    let doc = &docs[0];
    assert_eq!((doc.entries().len(), doc.translations().len()), (6, 3));
    // The translation Zato exported without an id got the next free one.
    let ids: Vec<_> = doc.translations().iter().map(|t| t.id).collect();
    assert_eq!(ids, [TranslationId(1), TranslationId(2), TranslationId(3)]);

    let server = RedisServer::start();
    let store: Arc<dyn KvStore> = Arc::new(RedisStore::connect(&server.url()).await.unwrap());
    let dict = Dict::new(store, "imported");
    dict.import(doc, ImportMode::Replace).await.unwrap();
    let t = |s1, k1, v1, s2, k2| {
        let dict = dict.clone();
        async move {
            dict.translate(s1, k1, v1, s2, k2)
                .await
                .unwrap()
                .map(|t| t.value.to_string())
        }
    };
    assert_eq!(
        t("CRM", "currency", "EUR", "billing", "currency_code")
            .await
            .as_deref(),
        Some("978")
    );
    assert_eq!(
        t("CRM", "note", "a:::b", "ledger", "note").await.as_deref(),
        Some("ab")
    );
    assert_eq!(
        t("CRM", "currency", "USD", "billing", "currency_code")
            .await
            .as_deref(),
        Some("840")
    );
    // Zato's keys were parsed into entries, not written: no key of the store names them.
    let keys = server.raw_command(&["KEYS", "*data-dict*"]);
    assert!(!keys.contains("data-dict"), "{keys}");
    assert!(dict.verify().await.unwrap().is_empty());
    // Last ids came from the export.
    assert_eq!(dict.create_entry("x", "y", "z").await.unwrap(), EntryId(10));
}

#[test]
fn bad_zato_records_are_named() {
    let cases: &[(&str, &str)] = &[
        // A key that splits into six parts, with no ids to tell which `:::` belongs to a value.
        (
            r#"{"data": {"dict_list": [{"id": 1, "system": "CRM", "key": "note", "value": "a:::b"}, {"id": 2, "system": "ledger", "key": "note", "value": "x"}],
            "translation_list": [{"zato:kvdb:data-dict:translation:::CRM:::note:::a:::b:::ledger:::note": {"id": 1, "value2": "x"}}]}}"#,
            "data.translation_list[0].key",
        ),
        (
            r#"{"data": {"dict_list": [{"id": 1, "system": "CRM", "key": "c", "value": "EUR"}, {"id": 2, "system": "b", "key": "c", "value": "978"}],
            "translation_list": [{"zato:kvdb:data-dict:translation:::CRM:::c:::EUR:::b:::c": {"id": 1, "value2": "979"}}]}}"#,
            "data.translation_list[0].value2",
        ),
        (
            r#"{"data": {"dict_list": [{"id": 1, "system": "CRM", "key": "c", "value": "EUR"}, {"id": 2, "system": "b", "key": "c", "value": "978"}],
            "translation_list": [{"some:other:key": {"id": 1, "value2": "978"}}]}}"#,
            "data.translation_list[0].key",
        ),
        (
            r#"{"data": {"dict_list": [{"id": 1, "system": "CRM", "key": "c", "value": "EUR"}, {"id": 2, "system": "", "key": "c", "value": "978"}]}}"#,
            "data.dict_list[1].system",
        ),
        (
            r#"{"data": {"dict_list": [{"id": "x", "system": "CRM", "key": "c", "value": "EUR"}]}}"#,
            "data.dict_list[0].id",
        ),
        (
            r#"{"data": {"dict_list": [{"id": 1, "system": "CRM", "key": "c", "value": "EUR"}, {"id": 2, "system": "b", "key": "c", "value": "978"}],
            "translation_list": [{"zato:kvdb:data-dict:translation:::CRM:::c:::EUR:::b:::c": {"id": 1, "value2": "978"}},
                                 {"zato:kvdb:data-dict:translation:::CRM:::c:::EUR:::b:::c": {"id": 2, "value2": "978"}}]}}"#,
            "data.translation_list[1].value2",
        ),
    ];
    for (json, location) in cases {
        match Document::parse(json.as_bytes()) {
            Err(Error::InvalidDocument {
                location: got,
                index,
                ..
            }) => {
                assert_eq!(got, *location, "{json}");
                assert!(index.is_some());
            }
            other => panic!("expected an error at {location}, got {other:?}"),
        }
    }
}
