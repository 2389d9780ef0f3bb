//! `kvdb dict ...`: import (kvdb and Zato, plain and bz2), export, translate, entries.

mod support;

use kvdb_test::RedisServer;
use support::kvdb;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(name);
    if path.exists() {
        return path.display().to_string();
    }
    // CI copies shared/ beside the clone; the repository may also sit elsewhere.
    let alternative = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kvdb-dict/tests/fixtures")
        .join(name);
    alternative.display().to_string()
}

#[test]
fn add_translate_and_miss() {
    let server = RedisServer::start();
    for args in [
        ["dict", "add-entry", "CRM", "currency", "EUR"].as_slice(),
        &["dict", "add-entry", "billing", "currency_code", "978"],
        &[
            "dict",
            "add-translation",
            "CRM",
            "currency",
            "EUR",
            "billing",
            "currency_code",
            "978",
        ],
    ] {
        let run = kvdb(&server, "t", args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    let hit = kvdb(
        &server,
        "t",
        &[
            "dict",
            "translate",
            "CRM",
            "currency",
            "EUR",
            "billing",
            "currency_code",
        ],
    );
    assert_eq!((hit.code, hit.stdout.trim()), (0, "978"), "{}", hit.stderr);
    let json = kvdb(
        &server,
        "t",
        &[
            "--json",
            "dict",
            "translate",
            "CRM",
            "currency",
            "EUR",
            "billing",
            "currency_code",
        ],
    )
    .json();
    assert_eq!(json["value"], "978");

    let miss = kvdb(
        &server,
        "t",
        &[
            "dict",
            "translate",
            "CRM",
            "currency",
            "USD",
            "billing",
            "currency_code",
        ],
    );
    assert_eq!(miss.code, 1);
    assert!(miss.stdout.is_empty());
    assert!(miss.stderr.contains("no translation"), "{}", miss.stderr);

    let refused = kvdb(&server, "t", &["dict", "remove-entry", "1"]);
    assert_eq!(
        refused.code, 2,
        "an entry in use is refused: {}",
        refused.stderr
    );
    let entries = kvdb(&server, "t", &["--json", "dict", "entries"]).json();
    assert_eq!(entries.as_array().map(Vec::len), Some(2));
    let cascade = kvdb(&server, "t", &["dict", "remove-entry", "1", "--cascade"]);
    assert_eq!(cascade.code, 0, "{}", cascade.stderr);
    let translations = kvdb(&server, "t", &["--json", "dict", "translations"]).json();
    assert_eq!(translations, serde_json::json!([]));
    assert_eq!(kvdb(&server, "t", &["dict", "check"]).code, 0);
}

#[test]
fn zato_export_imports_plain_and_bz2() {
    let server = RedisServer::start();
    let run = kvdb(
        &server,
        "t",
        &["dict", "import", &fixture("zato-data-dict-export.json.bz2")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entries = kvdb(&server, "t", &["--json", "dict", "entries"]).json();
    assert_eq!(entries[0]["system"], "apitest");
    assert_eq!(entries[0]["value"], "hola");

    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("zato.json");
    let zato = serde_json::json!({
        "meta": {"original_file_name": "export.json"},
        "data": {
            "last_dict_id": 2,
            "last_translation_id": 1,
            "dict_list": [
                {"id": 1, "system": "CRM", "key": "currency", "value": "EUR"},
                {"id": 2, "system": "billing", "key": "currency_code", "value": "978"}
            ],
            "translation_list": [
                {"zato:kvdb:data-dict:translation:::CRM:::currency:::EUR:::billing:::currency_code":
                    {"id": 1, "value2": "978", "id1": 1, "id2": 2}}
            ]
        }
    });
    std::fs::write(&plain, zato.to_string()).expect("write");
    let run = kvdb(
        &server,
        "t",
        &["--json", "dict", "import", plain.to_str().expect("utf-8")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["format"], "zato");
    let hit = kvdb(
        &server,
        "t",
        &[
            "dict",
            "translate",
            "CRM",
            "currency",
            "EUR",
            "billing",
            "currency_code",
        ],
    );
    assert_eq!(hit.stdout.trim(), "978");
}

#[test]
fn export_then_import_round_trips_and_a_bad_file_changes_nothing() {
    let server = RedisServer::start();
    kvdb(&server, "t", &["dict", "add-entry", "a", "k", "x:::y\nz"]);
    kvdb(&server, "t", &["dict", "add-entry", "b", "k", "🙂"]);
    kvdb(
        &server,
        "t",
        &[
            "dict",
            "add-translation",
            "a",
            "k",
            "x:::y\nz",
            "b",
            "k",
            "🙂",
        ],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("export.json");
    let run = kvdb(
        &server,
        "t",
        &["dict", "export", file.to_str().expect("utf-8")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"format":"kvdb-dict","version":1,"entries":[{"id":1,"system":"","key":"k","value":"v"}],"translations":[]}"#).expect("write");
    let run = kvdb(
        &server,
        "t",
        &["dict", "import", bad.to_str().expect("utf-8")],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("entries[0].system"), "{}", run.stderr);
    let hit = kvdb(
        &server,
        "t",
        &["dict", "translate", "a", "k", "x:::y\nz", "b", "k"],
    );
    assert_eq!(hit.stdout.trim(), "🙂", "the bad import changed the data");

    kvdb(
        &server,
        "other",
        &["dict", "import", file.to_str().expect("utf-8")],
    );
    let hit = kvdb(
        &server,
        "other",
        &["dict", "translate", "a", "k", "x:::y\nz", "b", "k"],
    );
    assert_eq!(hit.stdout.trim(), "🙂");
}
