//! [`ServerInfo`]: the server's INFO reply, parsed and typed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One INFO field's value, typed as the text reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum InfoValue {
    /// A whole number (`connected_clients:7`).
    Int(i64),
    /// A decimal number (`mem_fragmentation_ratio:1.31`).
    Float(f64),
    /// Comma-separated `name=value` pairs, as in keyspace lines
    /// (`db0:keys=19934,expires=23,avg_ttl=0`) and commandstats.
    Map(BTreeMap<String, InfoValue>),
    /// Anything else (`redis_version:7.0.15`, `used_memory_human:5.56M`).
    Text(String),
}

impl InfoValue {
    /// Parses one field's text.
    pub fn parse(text: &str) -> InfoValue {
        if let Ok(int) = text.parse::<i64>() {
            return InfoValue::Int(int);
        }
        if !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            if let Ok(float) = text.parse::<f64>() {
                return InfoValue::Float(float);
            }
        }
        if text.contains('=') && !text.contains(' ') {
            let mut map = BTreeMap::new();
            for pair in text.split(',') {
                match pair.split_once('=') {
                    Some((name, value)) => {
                        map.insert(name.to_owned(), InfoValue::parse(value));
                    }
                    None => return InfoValue::Text(text.to_owned()),
                }
            }
            return InfoValue::Map(map);
        }
        InfoValue::Text(text.to_owned())
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            InfoValue::Int(int) => Some(*int),
            _ => None,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            InfoValue::Int(int) => Some(*int as f64),
            InfoValue::Float(float) => Some(*float),
            _ => None,
        }
    }

    /// The value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            InfoValue::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// The keyspace line of one database (`db0:keys=19934,expires=23,avg_ttl=0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyspaceStats {
    /// How many keys the database holds.
    pub keys: i64,
    /// How many of them have an expiry.
    pub expires: i64,
    /// The average time to live in milliseconds of the keys with an expiry.
    pub avg_ttl: i64,
}

/// The server's INFO reply: sections of typed fields.
///
/// Serialises as `{"server": {"redis_version": "7.0.15", ...}, "keyspace": {"db0": {"keys": 3,
/// "expires": 0, "avg_ttl": 0}}, ...}`.
///
/// ```
/// use kvdb_core::ServerInfo;
///
/// let info = ServerInfo::parse("# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=19934,expires=23,avg_ttl=0\r\n");
/// assert_eq!(info.redis_version(), Some("7.0.15"));
/// assert_eq!(info.keyspace()["db0"].keys, 19934);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServerInfo {
    sections: BTreeMap<String, BTreeMap<String, InfoValue>>,
}

impl ServerInfo {
    /// Parses INFO's text. Section names are lower-cased (`# Keyspace` is `keyspace`); lines
    /// before any section header go to the section `""`.
    pub fn parse(text: &str) -> ServerInfo {
        let mut sections: BTreeMap<String, BTreeMap<String, InfoValue>> = BTreeMap::new();
        let mut current = String::new();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(header) = line.strip_prefix('#') {
                current = header.trim().to_ascii_lowercase();
                sections.entry(current.clone()).or_default();
            } else if let Some((name, value)) = line.split_once(':') {
                sections
                    .entry(current.clone())
                    .or_default()
                    .insert(name.to_owned(), InfoValue::parse(value));
            }
        }
        ServerInfo { sections }
    }

    /// Every section, by lower-cased name.
    pub fn sections(&self) -> &BTreeMap<String, BTreeMap<String, InfoValue>> {
        &self.sections
    }

    /// One section by name (`"memory"`, `"keyspace"`, ...).
    pub fn section(&self, name: &str) -> Option<&BTreeMap<String, InfoValue>> {
        self.sections.get(&name.to_ascii_lowercase())
    }

    /// A field by name, whatever its section.
    pub fn get(&self, field: &str) -> Option<&InfoValue> {
        self.sections
            .values()
            .find_map(|section| section.get(field))
    }

    /// `redis_version`.
    pub fn redis_version(&self) -> Option<&str> {
        self.get("redis_version").and_then(InfoValue::as_str)
    }

    /// `used_memory`, in bytes.
    pub fn used_memory(&self) -> Option<i64> {
        self.get("used_memory").and_then(InfoValue::as_i64)
    }

    /// `connected_clients`.
    pub fn connected_clients(&self) -> Option<i64> {
        self.get("connected_clients").and_then(InfoValue::as_i64)
    }

    /// `uptime_in_seconds`.
    pub fn uptime_in_seconds(&self) -> Option<i64> {
        self.get("uptime_in_seconds").and_then(InfoValue::as_i64)
    }

    /// The keyspace section: per database, its key and expiry counts.
    pub fn keyspace(&self) -> BTreeMap<String, KeyspaceStats> {
        let Some(section) = self.section("keyspace") else {
            return BTreeMap::new();
        };
        section
            .iter()
            .filter_map(|(db, value)| match value {
                InfoValue::Map(fields) => {
                    let field = |name: &str| fields.get(name).and_then(InfoValue::as_i64);
                    Some((
                        db.clone(),
                        KeyspaceStats {
                            keys: field("keys").unwrap_or(0),
                            expires: field("expires").unwrap_or(0),
                            avg_ttl: field("avg_ttl").unwrap_or(0),
                        },
                    ))
                }
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:3935\r\n\r\n# Memory\r\nused_memory:5825776\r\nused_memory_human:5.56M\r\nmem_fragmentation_ratio:1.31\r\n\r\n# Commandstats\r\ncmdstat_get:calls=21,usec=175,usec_per_call=8.33,rejected_calls=0,failed_calls=0\r\n\r\n# Keyspace\r\ndb0:keys=19934,expires=23,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n";

    #[test]
    fn numbers_are_typed() {
        let info = ServerInfo::parse(SAMPLE);
        assert_eq!(info.used_memory(), Some(5_825_776));
        assert_eq!(
            info.get("mem_fragmentation_ratio"),
            Some(&InfoValue::Float(1.31))
        );
        assert_eq!(
            info.get("used_memory_human").and_then(InfoValue::as_str),
            Some("5.56M")
        );
        assert_eq!(info.uptime_in_seconds(), Some(3935));
    }

    #[test]
    fn keyspace_lines_are_nested_maps() {
        let info = ServerInfo::parse(SAMPLE);
        let keyspace = info.keyspace();
        assert_eq!(keyspace["db0"].keys, 19934);
        assert_eq!(keyspace["db0"].expires, 23);
        assert_eq!(keyspace["db3"].keys, 1);
        let json = serde_json::to_value(&info).expect("serialises");
        assert_eq!(json["keyspace"]["db0"]["keys"], 19934);
        assert_eq!(json["commandstats"]["cmdstat_get"]["usec_per_call"], 8.33);
    }
}
