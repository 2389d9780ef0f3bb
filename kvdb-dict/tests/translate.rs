//! Translate: hit, miss, batch, one round trip each, and values holding any character.

mod support;

use kvdb_core::{InfoValue, KvStoreExt};
use kvdb_dict::{Dict, Document, ImportMode, TranslationKey};
use kvdb_test::RedisServer;
use support::dict;

/// How many times the server ran each command, from INFO commandstats.
async fn calls(dict: &Dict, command: &str) -> i64 {
    let stats = dict
        .store()
        .info_section("commandstats")
        .await
        .expect("test helper");
    match stats.get(&format!("cmdstat_{command}")) {
        Some(InfoValue::Map(m)) => m.get("calls").and_then(|c| c.as_i64()).unwrap_or(0),
        _ => 0,
    }
}

#[tokio::test]
async fn translate_is_one_hget_and_a_batch_is_one_hmget() {
    let server = RedisServer::start();
    let dict = dict(&server, "rt").await;
    for (v, code) in [("EUR", "978"), ("USD", "840"), ("GBP", "826")] {
        dict.create_translation(
            dict.create_entry("CRM", "currency", v).await.unwrap(),
            dict.create_entry("billing", "code", code).await.unwrap(),
        )
        .await
        .unwrap();
    }
    let (hget, hmget, evalsha) = (
        calls(&dict, "hget").await,
        calls(&dict, "hmget").await,
        calls(&dict, "evalsha").await,
    );
    let hit = dict
        .translate("CRM", "currency", "USD", "billing", "code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*hit.value, "840");
    assert!(dict
        .translate("CRM", "currency", "CHF", "billing", "code")
        .await
        .unwrap()
        .is_none());

    let keys: Vec<TranslationKey> = ["GBP", "CHF", "EUR", "USD", "GBP"]
        .iter()
        .map(|v| TranslationKey::new("CRM", "currency", v, "billing", "code"))
        .collect();
    let answers = dict.translate_many(&keys).await.unwrap();
    let values: Vec<Option<&str>> = answers
        .iter()
        .map(|a| a.as_ref().map(|t| t.value()))
        .collect();
    assert_eq!(
        values,
        [Some("826"), None, Some("978"), Some("840"), Some("826")]
    );
    assert!(dict.translate_many(&[]).await.unwrap().is_empty());
    assert_eq!(
        &*dict.translate_key(&keys[2]).await.unwrap().unwrap().value,
        "978"
    );

    assert_eq!(
        calls(&dict, "hget").await - hget,
        3,
        "one HGET per translate"
    );
    assert_eq!(
        calls(&dict, "hmget").await - hmget,
        1,
        "one HMGET per batch, none for an empty one"
    );
    assert_eq!(
        calls(&dict, "evalsha").await - evalsha,
        0,
        "no script on the translate path"
    );
}

#[tokio::test]
async fn any_character_round_trips() {
    let server = RedisServer::start();
    let dict = dict(&server, "chars {with} braces:::").await;
    let values = [
        ":::",
        "a:::b:::c",
        "",
        " ",
        "line\nbreak\r\n",
        "tab\there",
        "🦀 emoji ✓",
        "{braces}",
        "}{",
        "{\"json\": [1, 2]}",
        "%7B",
        "3:abc",
        "nul\0byte",
        "'quotes\" and \\backslash",
        "x".repeat(kvdb_dict::MAX_VALUE_LEN - 8).leak(),
    ];
    let names = ["sys:::tem", "{sys}", "ünïcødé", "1:x", "%"];
    let mut pairs = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let system = names[i % names.len()];
        let source = dict
            .create_entry(system, "from:::key", value)
            .await
            .unwrap();
        let target_value = format!("{value}->{i}");
        let target = dict
            .create_entry("target {system}", "to\u{a0}key", &target_value)
            .await
            .unwrap();
        dict.create_translation(source, target).await.unwrap();
        pairs.push((system, *value, target_value));
    }
    let check = |dict: Dict, pairs: Vec<(&'static str, &'static str, String)>| async move {
        for (system, value, target_value) in pairs {
            let entry = dict
                .find_entry(system, "from:::key", value)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(dict.entry(entry).await.unwrap().unwrap().value, value);
            let hit = dict
                .translate(
                    system,
                    "from:::key",
                    value,
                    "target {system}",
                    "to\u{a0}key",
                )
                .await
                .unwrap();
            assert_eq!(
                hit.map(|t| t.value.to_string()),
                Some(target_value),
                "value {value:?}"
            );
        }
    };
    check(dict.clone(), pairs.clone()).await;
    // Neighbouring questions that a separator would confuse have no answer.
    assert!(dict
        .translate(
            "sys",
            ":::tem:::from",
            ":::key:::",
            "target {system}",
            "to\u{a0}key"
        )
        .await
        .unwrap()
        .is_none());
    let values_of = dict.values(names[0], "from:::key").await.unwrap();
    assert!(values_of.iter().any(|e| e.value == ":::"));
    assert!(dict.systems().await.unwrap().contains(&"{sys}".to_owned()));

    // Through export, JSON and import, into another dictionary.
    let json = dict.export().await.unwrap().to_json();
    let copy = self::dict(&server, "copy").await;
    copy.import(&Document::parse(&json).unwrap(), ImportMode::Replace)
        .await
        .unwrap();
    check(copy.clone(), pairs).await;
    assert!(dict.verify().await.unwrap().is_empty());
    assert!(copy.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn dictionaries_do_not_see_each_other() {
    let server = RedisServer::start();
    let a = dict(&server, "a").await;
    let b = dict(&server, "b").await;
    let x = a.create_entry("s", "k", "x").await.unwrap();
    let y = a.create_entry("t", "k", "y").await.unwrap();
    a.create_translation(x, y).await.unwrap();
    assert!(b
        .translate("s", "k", "x", "t", "k")
        .await
        .unwrap()
        .is_none());
    assert!(b.entries().await.unwrap().is_empty());
    b.clear().await.unwrap();
    assert!(a
        .translate("s", "k", "x", "t", "k")
        .await
        .unwrap()
        .is_some());
    a.clear().await.unwrap();
    assert!(a
        .translate("s", "k", "x", "t", "k")
        .await
        .unwrap()
        .is_none());
    assert!(a.entries().await.unwrap().is_empty() && a.systems().await.unwrap().is_empty());
    // Ids are not given out again after a clear.
    assert!(a.create_entry("s", "k", "x").await.unwrap().0 > y.0);
}
