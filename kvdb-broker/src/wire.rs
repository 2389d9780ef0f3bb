//! How messages are laid out in Redis, and how replies are read back.
//!
//! A message is one byte string, `attempt \n meta \n payload`:
//! - `attempt`: the attempt number in decimal (first, so that Lua can count retries without
//!   decoding JSON),
//! - `meta`: the metadata as compact JSON, which never holds a newline (`id`, `t` target,
//!   `c` created-at, `x` expires-at, `d` deliver-at, `h` headers, `cb` callback, `f` data format
//!   of raw bytes; JSON when absent),
//! - `payload`: the body, byte for byte.
//!
//! A stream entry holds it in its one field `d`; the delayed sorted set holds it as a member,
//! scored by the due time in milliseconds. One field per entry keeps replies small: parsing
//! replies is most of a worker's own work.

use std::collections::BTreeMap;

use kvdb_core::redis::Value;
use serde::{Deserialize, Serialize};

use crate::{Envelope, MessageId, Payload};

/// The metadata field as written.
#[derive(Serialize)]
struct MetaOut<'a> {
    id: &'a str,
    t: &'a str,
    c: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    h: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cb: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f: Option<&'a str>,
}

/// The metadata field as read.
#[derive(Deserialize)]
pub(crate) struct MetaIn {
    id: String,
    t: String,
    c: u64,
    #[serde(default)]
    x: Option<u64>,
    #[serde(default)]
    d: Option<u64>,
    #[serde(default)]
    h: BTreeMap<String, String>,
    #[serde(default)]
    cb: Option<String>,
    #[serde(default)]
    f: Option<String>,
}

/// A message ready to be written.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) meta: Vec<u8>,
    pub(crate) attempt: u32,
    pub(crate) payload: Vec<u8>,
}

impl Encoded {
    /// Encodes an envelope.
    pub(crate) fn new(envelope: &Envelope) -> Encoded {
        let format = match &envelope.payload {
            Payload::Json(_) => None,
            Payload::Bytes { data_format, .. } => Some(data_format.as_str()),
        };
        let meta = MetaOut {
            id: envelope.id.as_str(),
            t: &envelope.target,
            c: envelope.created_at,
            x: envelope.expires_at,
            d: envelope.deliver_at,
            h: &envelope.headers,
            cb: envelope.callback.as_deref(),
            f: format,
        };
        Encoded {
            // Plain data with string keys: serializing cannot fail.
            meta: serde_json::to_vec(&meta).unwrap_or_default(),
            attempt: envelope.attempt,
            payload: envelope.payload.encoded().into_owned(),
        }
    }

    /// `XADD stream * d <packed>`.
    pub(crate) fn xadd(&self, stream: &str) -> kvdb_core::redis::Cmd {
        let mut cmd = kvdb_core::redis::cmd("XADD");
        cmd.arg(stream).arg("*").arg(FIELD).arg(self.packed());
        cmd
    }

    /// The message as one byte string: `attempt \n meta \n payload`.
    pub(crate) fn packed(&self) -> Vec<u8> {
        pack(self.attempt, &self.meta, &self.payload)
    }
}

/// The name of a stream entry's one field.
pub(crate) const FIELD: &str = "d";

/// The message as one byte string.
pub(crate) fn pack(attempt: u32, meta: &[u8], payload: &[u8]) -> Vec<u8> {
    let attempt = attempt.to_string();
    let mut out = Vec::with_capacity(attempt.len() + meta.len() + payload.len() + 2);
    out.extend_from_slice(attempt.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(meta);
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// Splits a packed message into attempt, meta and payload.
pub(crate) fn unpack(packed: &[u8]) -> Result<(u32, &[u8], &[u8]), String> {
    let mut parts = packed.splitn(3, |byte| *byte == b'\n');
    let (Some(attempt), Some(meta), Some(payload)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(String::from(
            "the message is not in the broker's layout (attempt, metadata, payload)",
        ));
    };
    let attempt = std::str::from_utf8(attempt)
        .ok()
        .and_then(|a| a.parse().ok())
        .ok_or("the message's attempt number is not a number")?;
    Ok((attempt, meta, payload))
}

/// The same message with another attempt number.
pub(crate) fn repack(packed: &[u8], attempt: u32) -> Result<Vec<u8>, String> {
    let (_, meta, payload) = unpack(packed)?;
    Ok(pack(attempt, meta, payload))
}

/// One stream entry as read: its id and its field/value pairs, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawEntry {
    pub(crate) id: String,
    pub(crate) fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl RawEntry {
    /// The packed message, if the entry holds one.
    pub(crate) fn packed(&self) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(field, _)| field == FIELD.as_bytes())
            .map(|(_, value)| value.as_slice())
    }

    /// The fields as text, for dead letters of entries that could not be decoded.
    pub(crate) fn fields_lossy(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(f, v)| {
                (
                    String::from_utf8_lossy(f).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }
}

/// Decodes a stream entry's fields into an envelope, or says why they are not a message.
pub(crate) fn decode(fields: &[(Vec<u8>, Vec<u8>)]) -> Result<Envelope, String> {
    let packed = fields
        .iter()
        .find(|(field, _)| field == FIELD.as_bytes())
        .map(|(_, value)| value.as_slice())
        .ok_or("the entry has no message field 'd'")?;
    decode_packed(packed)
}

/// Decodes a packed message.
pub(crate) fn decode_packed(packed: &[u8]) -> Result<Envelope, String> {
    let (attempt, meta, payload) = unpack(packed)?;
    let meta: MetaIn =
        serde_json::from_slice(meta).map_err(|e| format!("the metadata is not valid: {e}"))?;
    let payload = Payload::decode(meta.f.as_deref(), payload.to_vec()).map_err(|e| match e {
        crate::Error::Malformed(reason) => reason,
        other => other.to_string(),
    })?;
    Ok(Envelope {
        id: MessageId::from(meta.id),
        target: meta.t,
        payload,
        created_at: meta.c,
        expires_at: meta.x,
        deliver_at: meta.d,
        attempt,
        headers: meta.h,
        callback: meta.cb,
    })
}

/// Rewrites a metadata field for a requeue from the dead letters: no expiry, no delay.
pub(crate) fn meta_for_requeue(meta: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(meta).ok()?;
    let object = value.as_object_mut()?;
    object.remove("x");
    object.remove("d");
    serde_json::to_vec(&value).ok()
}

/// The entries of an XREADGROUP / XREAD reply for one stream (nil when the block timed out).
pub(crate) fn read_reply_entries(reply: Value) -> Vec<RawEntry> {
    match reply {
        Value::Array(streams) => streams
            .into_iter()
            .flat_map(|stream| match stream {
                Value::Array(mut pair) if pair.len() == 2 => {
                    entries(pair.pop().unwrap_or_default())
                }
                _ => Vec::new(),
            })
            .collect(),
        Value::Map(streams) => streams
            .into_iter()
            .flat_map(|(_, stream)| entries(stream))
            .collect(),
        _ => Vec::new(),
    }
}

/// The entries of an XRANGE-shaped reply: `[[id, [field, value, ..]], ..]`. Entries whose
/// fields are nil (deleted while pending) come back with no fields.
pub(crate) fn entries(reply: Value) -> Vec<RawEntry> {
    let Value::Array(items) = reply else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let Value::Array(mut parts) = item else {
                return None;
            };
            if parts.len() != 2 {
                return None;
            }
            let fields = parts.pop().unwrap_or_default();
            let id = text(parts.pop().unwrap_or_default())?;
            Some(RawEntry {
                id,
                fields: pairs(fields),
            })
        })
        .collect()
}

fn pairs(fields: Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    match fields {
        Value::Array(flat) => {
            let mut out = Vec::with_capacity(flat.len() / 2);
            let mut iter = flat.into_iter();
            while let (Some(field), Some(value)) = (iter.next(), iter.next()) {
                out.push((bytes(field), bytes(value)));
            }
            out
        }
        Value::Map(map) => map.into_iter().map(|(f, v)| (bytes(f), bytes(v))).collect(),
        _ => Vec::new(),
    }
}

/// A reply element as bytes (bulk or simple strings, numbers as their decimal text).
pub(crate) fn bytes(value: Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes,
        Value::SimpleString(text) => text.into_bytes(),
        Value::Int(n) => n.to_string().into_bytes(),
        Value::Okay => b"OK".to_vec(),
        _ => Vec::new(),
    }
}

/// A reply element as text.
pub(crate) fn text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).ok(),
        Value::SimpleString(text) => Some(text),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A reply element as a number (integers, or their text).
pub(crate) fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        Value::SimpleString(text) => text.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_envelope_survives_the_stream_layout() {
        let mut envelope = Envelope::new("svc", Payload::from(json!({"n": 1})));
        envelope.headers.insert("k".into(), "v\nw".into());
        envelope.expires_at = Some(5);
        envelope.attempt = 3;
        let encoded = Encoded::new(&envelope);
        assert!(
            !encoded.meta.contains(&b'\n'),
            "the packed form relies on it"
        );
        let packed = encoded.packed();
        assert!(packed.starts_with(b"3\n{"));
        let fields = vec![(b"d".to_vec(), packed.clone())];
        assert_eq!(decode(&fields).unwrap(), envelope);
        let again = decode_packed(&repack(&packed, 4).unwrap()).unwrap();
        assert_eq!(again.attempt, 4);
        // Raw bytes may hold newlines.
        let raw = Envelope::new("svc", Payload::bytes("bin", b"a\nb\n".to_vec()));
        assert_eq!(decode_packed(&Encoded::new(&raw).packed()).unwrap(), raw);
    }

    #[test]
    fn foreign_entries_are_refused_with_a_reason() {
        let reason = decode(&[(b"job".to_vec(), b"x".to_vec())]).unwrap_err();
        assert!(reason.contains("'d'"), "{reason}");
        assert!(decode_packed(b"no newline").unwrap_err().contains("layout"));
        assert!(decode_packed(b"x\n{}\nnull")
            .unwrap_err()
            .contains("attempt"));
        assert!(decode_packed(b"1\n{}\nnull")
            .unwrap_err()
            .contains("metadata"));
    }

    #[test]
    fn requeue_clears_expiry_and_delay() {
        let meta = br#"{"id":"i","t":"s","c":1,"x":2,"d":3}"#;
        let meta = meta_for_requeue(meta).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&meta).unwrap();
        assert_eq!(value, json!({"id": "i", "t": "s", "c": 1}));
    }
}
