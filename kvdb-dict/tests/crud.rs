//! Entries and translations: create, edit, delete, listings, and the refusals.

mod support;

use kvdb_dict::{DeleteMode, Dict, EntryId, Error, TranslationId};
use kvdb_test::RedisServer;
use support::dict;

#[tokio::test]
async fn entries_crud_and_listings() {
    let server = RedisServer::start();
    let dict = dict(&server, "crud").await;

    let eur = dict.create_entry("CRM", "currency", "EUR").await.unwrap();
    let usd = dict.create_entry("CRM", "currency", "USD").await.unwrap();
    let red = dict.create_entry("CRM", "colour", "red").await.unwrap();
    let code = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .unwrap();
    assert_eq!(
        (eur, usd, red, code),
        (EntryId(1), EntryId(2), EntryId(3), EntryId(4))
    );

    assert_eq!(dict.systems().await.unwrap(), ["CRM", "billing"]);
    assert_eq!(dict.keys("CRM").await.unwrap(), ["colour", "currency"]);
    let values: Vec<_> = dict
        .values("CRM", "currency")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.value))
        .collect();
    assert_eq!(values, [(eur, "EUR".to_owned()), (usd, "USD".to_owned())]);
    assert_eq!(dict.entries().await.unwrap().len(), 4);
    assert_eq!(dict.entry(usd).await.unwrap().unwrap().value, "USD");
    assert_eq!(
        dict.find_entry("CRM", "currency", "USD").await.unwrap(),
        Some(usd)
    );
    assert_eq!(
        dict.find_entry("CRM", "currency", "GBP").await.unwrap(),
        None
    );

    // The triple is unique.
    match dict.create_entry("CRM", "currency", "EUR").await {
        Err(Error::DuplicateEntry { existing, .. }) => assert_eq!(existing, eur),
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }

    // Editing keeps the id and moves the indexes.
    dict.edit_entry(red, "CRM", "color", "rouge").await.unwrap();
    assert_eq!(dict.keys("CRM").await.unwrap(), ["color", "currency"]);
    assert_eq!(
        dict.find_entry("CRM", "color", "rouge").await.unwrap(),
        Some(red)
    );
    assert_eq!(dict.find_entry("CRM", "colour", "red").await.unwrap(), None);
    match dict.edit_entry(red, "CRM", "currency", "USD").await {
        Err(Error::DuplicateEntry { existing, .. }) => assert_eq!(existing, usd),
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }

    // Deleting the last entry of a system removes the system from the listings.
    dict.delete_entry(code, DeleteMode::Refuse).await.unwrap();
    assert_eq!(dict.systems().await.unwrap(), ["CRM"]);
    assert!(dict.keys("billing").await.unwrap().is_empty());
    assert!(dict.entry(code).await.unwrap().is_none());
    assert!(matches!(
        dict.delete_entry(code, DeleteMode::Refuse).await,
        Err(Error::EntryNotFound(_))
    ));
    assert!(matches!(
        dict.edit_entry(code, "a", "b", "c").await,
        Err(Error::EntryNotFound(_))
    ));

    // Ids are not reused.
    assert_eq!(
        dict.create_entry("billing", "currency_code", "978")
            .await
            .unwrap(),
        EntryId(5)
    );
    assert!(dict.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_parts_are_refused_before_reaching_the_store() {
    let server = RedisServer::start();
    let dict = dict(&server, "invalid").await;
    for (system, key, field) in [
        ("", "k", "system"),
        ("s", "", "key"),
        ("s\n", "k", "system"),
        ("s", "k\u{7}", "key"),
    ] {
        match dict.create_entry(system, key, "v").await {
            Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }
    let long = "v".repeat(kvdb_dict::MAX_VALUE_LEN + 1);
    assert!(matches!(
        dict.create_entry("s", "k", &long).await,
        Err(Error::Invalid { field: "value", .. })
    ));
    assert!(dict.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn translations_crud_and_refusals() {
    let server = RedisServer::start();
    let dict = dict(&server, "tr").await;
    let eur = dict.create_entry("CRM", "currency", "EUR").await.unwrap();
    let usd = dict.create_entry("CRM", "currency", "USD").await.unwrap();
    let n978 = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .unwrap();
    let n840 = dict
        .create_entry("billing", "currency_code", "840")
        .await
        .unwrap();

    let t1 = dict.create_translation(eur, n978).await.unwrap();
    let t2 = dict
        .create_translation(
            ("CRM", "currency", "USD"),
            ("billing", "currency_code", "840"),
        )
        .await
        .unwrap();
    assert_eq!((t1, t2), (TranslationId(1), TranslationId(2)));

    // Hit, miss.
    let hit = dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&*hit.value, hit.translation, hit.source, hit.target),
        ("978", t1, eur, n978)
    );
    assert!(dict
        .translate("CRM", "currency", "GBP", "billing", "currency_code")
        .await
        .unwrap()
        .is_none());
    assert!(dict
        .translate("CRM", "currency", "EUR", "billing", "other")
        .await
        .unwrap()
        .is_none());

    // At most one per source and target system and key.
    match dict.create_translation(eur, n840).await {
        Err(Error::DuplicateTranslation { existing }) => assert_eq!(existing, t1),
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }
    // Not within one system and key.
    assert!(matches!(
        dict.create_translation(eur, usd).await,
        Err(Error::SamePair { .. })
    ));
    // Both entries must exist.
    assert!(matches!(
        dict.create_translation(eur, EntryId(99)).await,
        Err(Error::EntryNotFound(_))
    ));
    assert!(matches!(
        dict.create_translation(("CRM", "currency", "GBP"), n978).await,
        Err(Error::EntryNotFound(msg)) if msg.contains("GBP")
    ));

    // Edit value2 (Zato ignored this): the translation points at another entry of the
    // target's system and key, and translate says so at once.
    dict.set_translation_value(t1, "840").await.unwrap();
    let hit = dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&*hit.value, hit.translation, hit.target),
        ("840", t1, n840)
    );
    assert!(
        matches!(dict.set_translation_value(t1, "999").await, Err(Error::EntryNotFound(msg)) if msg.contains("999"))
    );
    dict.set_translation_value(t1, "978").await.unwrap();

    // Full edit: new source and target.
    let gbp = dict.create_entry("CRM", "currency", "GBP").await.unwrap();
    let n826 = dict
        .create_entry("billing", "currency_code", "826")
        .await
        .unwrap();
    dict.edit_translation(t2, gbp, n826).await.unwrap();
    assert!(dict
        .translate("CRM", "currency", "USD", "billing", "currency_code")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        &*dict
            .translate("CRM", "currency", "GBP", "billing", "currency_code")
            .await
            .unwrap()
            .unwrap()
            .value,
        "826"
    );
    // An edit may not create a duplicate either.
    match dict.edit_translation(t2, eur, n826).await {
        Err(Error::DuplicateTranslation { existing }) => assert_eq!(existing, t1),
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }
    assert!(matches!(
        dict.edit_translation(TranslationId(77), eur, n826).await,
        Err(Error::TranslationNotFound(TranslationId(77)))
    ));

    // Reads.
    let t = dict.translation(t2).await.unwrap().unwrap();
    assert_eq!(
        (t.source.id, t.target.id, t.target.value.as_str()),
        (gbp, n826, "826")
    );
    assert!(dict.translation(TranslationId(77)).await.unwrap().is_none());
    let all = dict.translations().await.unwrap();
    assert_eq!(all.iter().map(|t| t.id).collect::<Vec<_>>(), [t1, t2]);
    assert_eq!(
        dict.translations_of(n978)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [t1]
    );
    assert!(dict.translations_of(usd).await.unwrap().is_empty());

    // Delete.
    dict.delete_translation(t2).await.unwrap();
    assert!(matches!(
        dict.delete_translation(t2).await,
        Err(Error::TranslationNotFound(_))
    ));
    assert!(dict
        .translate("CRM", "currency", "GBP", "billing", "currency_code")
        .await
        .unwrap()
        .is_none());
    assert!(dict.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn deleting_a_used_entry_is_refused_unless_cascading() {
    let server = RedisServer::start();
    let dict = dict(&server, "cascade").await;
    let eur = dict.create_entry("CRM", "currency", "EUR").await.unwrap();
    let n978 = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .unwrap();
    let euro = dict.create_entry("shop", "money", "euro").await.unwrap();
    let t1 = dict.create_translation(eur, n978).await.unwrap();
    let t2 = dict.create_translation(euro, eur).await.unwrap();
    let t3 = dict.create_translation(n978, euro).await.unwrap();

    let err = dict
        .delete_entry(eur, DeleteMode::Refuse)
        .await
        .unwrap_err();
    match &err {
        Error::EntryInUse {
            entry,
            translations,
        } => {
            assert_eq!(*entry, eur);
            let mut ids: Vec<_> = translations.iter().map(|t| t.id).collect();
            ids.sort();
            assert_eq!(ids, [t1, t2]);
        }
        other => panic!("expected an in-use refusal, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message
            .contains("#1 \"CRM\"/\"currency\"/\"EUR\" -> \"billing\"/\"currency_code\"/\"978\""),
        "{message}"
    );
    // Nothing changed.
    assert_eq!(dict.translations().await.unwrap().len(), 3);
    assert!(dict.entry(eur).await.unwrap().is_some());

    let mut deleted = dict.delete_entry(eur, DeleteMode::Cascade).await.unwrap();
    deleted.sort();
    assert_eq!(deleted, [t1, t2]);
    assert_eq!(
        dict.translations()
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [t3]
    );
    assert!(dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await
        .unwrap()
        .is_none());
    assert!(dict
        .translate("shop", "money", "euro", "CRM", "currency")
        .await
        .unwrap()
        .is_none());
    assert!(dict
        .translations_of(n978)
        .await
        .unwrap()
        .iter()
        .all(|t| t.id == t3));
    assert!(dict.verify().await.unwrap().is_empty());
}

#[tokio::test]
async fn editing_an_entry_keeps_its_translations_pointing_at_it() {
    let server = RedisServer::start();
    let dict = dict(&server, "edit").await;
    let eur = dict.create_entry("CRM", "currency", "EUR").await.unwrap();
    let n978 = dict
        .create_entry("billing", "currency_code", "978")
        .await
        .unwrap();
    let t = dict.create_translation(eur, n978).await.unwrap();

    // Source value changes: the old question has no answer, the new one has.
    dict.edit_entry(eur, "CRM", "currency", "Euro")
        .await
        .unwrap();
    assert!(dict
        .translate("CRM", "currency", "EUR", "billing", "currency_code")
        .await
        .unwrap()
        .is_none());
    let hit = dict
        .translate("CRM", "currency", "Euro", "billing", "currency_code")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&*hit.value, hit.translation), ("978", t));

    // Target value changes: the answer changes.
    dict.edit_entry(n978, "billing", "currency_code", "0978")
        .await
        .unwrap();
    assert_eq!(
        &*dict
            .translate("CRM", "currency", "Euro", "billing", "currency_code")
            .await
            .unwrap()
            .unwrap()
            .value,
        "0978"
    );

    // Moving the target into the source's system and key is refused, and changes nothing.
    assert!(matches!(
        dict.edit_entry(n978, "CRM", "currency", "x").await,
        Err(Error::SamePair { .. })
    ));
    assert_eq!(dict.entry(n978).await.unwrap().unwrap().value, "0978");

    // Moving an entry so that a translation would duplicate another is refused.
    let usd = dict.create_entry("CRM", "currency", "USD").await.unwrap();
    let n840 = dict.create_entry("ledger", "code", "840").await.unwrap();
    dict.create_translation(usd, n840).await.unwrap();
    let n841 = dict.create_entry("ledger", "code2", "841").await.unwrap();
    dict.create_translation(usd, n841).await.unwrap();
    match dict.edit_entry(n841, "ledger", "code", "841").await {
        Err(Error::DuplicateTranslation { .. }) => {}
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }
    assert!(dict.verify().await.unwrap().is_empty());
}

/// The CLI, benchmarks and services spawn dictionary calls on multi-threaded runtimes.
#[allow(dead_code)]
fn futures_are_send(dict: Dict, doc: kvdb_dict::Document) {
    fn send<T: Send>(_: T) {}
    send(dict.translate("a", "b", "c", "d", "e"));
    send(dict.translate_many(&[]));
    send(dict.create_entry("a", "b", "c"));
    send(dict.create_translation(EntryId(1), EntryId(2)));
    send(dict.delete_entry(EntryId(1), DeleteMode::Cascade));
    send(dict.clone().with_cache(Default::default()));
    send(dict.export());
    send(dict.verify());
    send(async move {
        dict.import_with_progress(&doc, Default::default(), |_| {})
            .await
    });
}
