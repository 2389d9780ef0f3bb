//! [`Dict::verify`]: checks that the indexes agree with the data.

use std::collections::{HashMap, HashSet};

use kvdb_core::redis::Value;

use crate::dict::{hash, string};
use crate::encoding::{decode_triple, lookup_field, lookup_payload};
use crate::id::parse_id;
use crate::scripts::DUMP;
use crate::translations::parse_pairs;
use crate::{Dict, Error, Result};

type Triple = (String, String, String);

/// The values hash of each system and key.
type ValueIndexes = HashMap<(String, String), HashMap<Vec<u8>, Vec<u8>>>;

impl Dict {
    /// Reads the whole dictionary in one consistent snapshot and checks every rule and
    /// index: each entry indexed under its system, key and value and nothing else; each
    /// translation's entries present, in different system/key pairs, its lookup field and
    /// answer right, and listed as using both entries; no lookup field or use without its
    /// translation; the id counters ahead of every id. Returns the problems found, in
    /// words; empty when all is well. Reads everything: meant for tests and admin checks.
    pub async fn verify(&self) -> Result<Vec<String>> {
        let reply: Value = DUMP
            .invoke(
                &**self.store(),
                &[self.names().base.as_str()],
                &[] as &[&str],
            )
            .await?;
        let Value::Array(parts) = reply else {
            return Err(Error::Corrupt(String::from(
                "the dump script returned no array",
            )));
        };
        let Ok::<[Value; 9], _>(
            [entries, translations, lookup, uses, systems, keys, values, last_entry, last_translation],
        ) = parts.try_into()
        else {
            return Err(Error::Corrupt(String::from(
                "the dump script returned the wrong number of parts",
            )));
        };
        let mut problems = Vec::new();

        // Entries and their indexes.
        let mut by_id: HashMap<u64, Triple> = HashMap::new();
        let mut by_triple: HashMap<Triple, u64> = HashMap::new();
        for (raw_id, raw) in hash(entries)? {
            let Some(id) = parse_id(&raw_id) else {
                problems.push(format!(
                    "entries: field {:?} is not an id",
                    String::from_utf8_lossy(&raw_id)
                ));
                continue;
            };
            let Some(triple) = decode_triple(&raw) else {
                problems.push(format!("entry {id} cannot be decoded"));
                continue;
            };
            if let Some(other) = by_triple.insert(triple.clone(), id) {
                problems.push(format!("entries {other} and {id} are both {triple:?}"));
            }
            by_id.insert(id, triple);
        }
        let systems: HashSet<String> = kvdb_core::redis::from_redis_value(systems)
            .map_err(|e| Error::Corrupt(format!("systems: {e}")))?;
        let keys = keyed_sets(keys)?;
        let values = keyed_hashes(values)?;
        for (id, (s, k, v)) in &by_id {
            let indexed = values
                .get(&(s.clone(), k.clone()))
                .and_then(|h| h.get(v.as_bytes()));
            if indexed.and_then(|raw| parse_id(raw)) != Some(*id) {
                problems.push(format!("entry {id} is not indexed under its value"));
            }
            if !keys.get(s).is_some_and(|set| set.contains(k)) {
                problems.push(format!(
                    "entry {id}: key {k:?} missing from the keys of system {s:?}"
                ));
            }
            if !systems.contains(s) {
                problems.push(format!("entry {id}: system {s:?} missing from the systems"));
            }
        }
        for ((s, k), hash) in &values {
            for (v, raw_id) in hash {
                let v = String::from_utf8_lossy(v);
                let ok = parse_id(raw_id)
                    .and_then(|id| by_id.get(&id))
                    .is_some_and(|t| t.0 == *s && t.1 == *k && t.2 == v);
                if !ok {
                    problems.push(format!(
                        "value index {s:?}/{k:?}/{v:?} points at no such entry"
                    ));
                }
            }
        }
        for (s, set) in &keys {
            for k in set {
                if values
                    .get(&(s.clone(), k.clone()))
                    .is_none_or(HashMap::is_empty)
                {
                    problems.push(format!(
                        "key {k:?} of system {s:?} is listed but has no values"
                    ));
                }
            }
        }
        for s in &systems {
            if keys.get(s).is_none_or(HashSet::is_empty) {
                problems.push(format!("system {s:?} is listed but has no keys"));
            }
        }

        // Translations and their indexes.
        let lookup = hash(lookup)?;
        let uses: HashMap<u64, HashSet<u64>> = hash(uses)?
            .into_iter()
            .map(|(id, list)| {
                let tids = String::from_utf8_lossy(&list)
                    .split(',')
                    .filter_map(|t| t.parse().ok())
                    .collect();
                (parse_id(&id).unwrap_or(0), tids)
            })
            .collect();
        let pairs = parse_pairs(translations)?;
        let mut by_tid = HashMap::new();
        for (tid, (id1, id2)) in &pairs {
            by_tid.insert(tid.0, (id1.0, id2.0));
            let (Some(e1), Some(e2)) = (by_id.get(&id1.0), by_id.get(&id2.0)) else {
                problems.push(format!(
                    "translation {tid} points at a missing entry ({id1} or {id2})"
                ));
                continue;
            };
            if e1.0 == e2.0 && e1.1 == e2.1 {
                problems.push(format!(
                    "translation {tid} stays within {:?}/{:?}",
                    e1.0, e1.1
                ));
            }
            let field = lookup_field([&e1.0, &e1.1, &e1.2, &e2.0, &e2.1]);
            let want = lookup_payload(tid.0, id1.0, id2.0, &e2.2);
            if lookup.get(&field).map(Vec::as_slice) != Some(want.as_bytes()) {
                problems.push(format!("translation {tid} has no right lookup answer"));
            }
            for id in [id1.0, id2.0] {
                if !uses.get(&id).is_some_and(|set| set.contains(&tid.0)) {
                    problems.push(format!(
                        "translation {tid} is not listed as using entry {id}"
                    ));
                }
            }
        }
        if lookup.len() != pairs.len() {
            problems.push(format!(
                "{} lookup answers for {} translations",
                lookup.len(),
                pairs.len()
            ));
        }
        for (id, tids) in &uses {
            for tid in tids {
                if !by_tid.get(tid).is_some_and(|(a, b)| a == id || b == id) {
                    problems.push(format!(
                        "entry {id} lists translation {tid}, which does not use it"
                    ));
                }
            }
        }

        // Counters.
        let last = |value: Value| {
            string(&value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let (last_entry, last_translation) = (last(last_entry), last(last_translation));
        if by_id.keys().any(|id| *id > last_entry) {
            problems.push(format!(
                "an entry id is above the last entry id {last_entry}"
            ));
        }
        if by_tid.keys().any(|tid| *tid > last_translation) {
            problems.push(format!(
                "a translation id is above the last translation id {last_translation}"
            ));
        }
        Ok(problems)
    }
}

/// `{system, {key...}}...` as a map.
fn keyed_sets(value: Value) -> Result<HashMap<String, HashSet<String>>> {
    let Value::Array(items) = value else {
        return Err(Error::Corrupt(String::from("dump: keys is not an array")));
    };
    let mut out = HashMap::new();
    for pair in items.chunks(2) {
        let [system, keys] = pair else { break };
        let keys: HashSet<String> = kvdb_core::redis::from_redis_value(keys.clone())
            .map_err(|e| Error::Corrupt(format!("dump: keys: {e}")))?;
        out.insert(string(system)?, keys);
    }
    Ok(out)
}

/// `{system, key, {value, id...}}...` as a map.
fn keyed_hashes(value: Value) -> Result<ValueIndexes> {
    let Value::Array(items) = value else {
        return Err(Error::Corrupt(String::from("dump: values is not an array")));
    };
    let mut out = HashMap::new();
    for triple in items.chunks(3) {
        let [system, key, values] = triple else { break };
        out.insert((string(system)?, string(key)?), hash(values.clone())?);
    }
    Ok(out)
}
