//! [`Payload`]: a message body, JSON or raw bytes with a data format.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A message body: a JSON value, or raw bytes with the name of their data format (`"xml"`,
/// `"csv"`, `"protobuf"`, ... as Zato's `data_format`).
///
/// In Redis the body is stored as it is: JSON as its text, bytes unchanged. Its serde form
/// (used for [`Envelope`](crate::Envelope)'s JSON, such as ephemeral publications) is
/// `{"json": <value>}` or `{"bytes": {"data_format": "xml", "data": "<base64>"}}`.
///
/// ```
/// use kvdb_broker::Payload;
/// use serde_json::json;
///
/// let body = Payload::from(json!({"id": 7}));
/// assert_eq!(body.data_format(), "json");
/// assert_eq!(body.encoded().as_ref(), br#"{"id":7}"#);
///
/// let raw = Payload::bytes("xml", b"<a/>".to_vec());
/// assert_eq!(raw.data_format(), "xml");
/// assert_eq!(raw.as_bytes(), Some(&b"<a/>"[..]));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Payload {
    /// A JSON value.
    Json(serde_json::Value),
    /// Raw bytes in some other format.
    Bytes {
        /// The format's name, for the handler's benefit (`"xml"`, `"csv"`, ...).
        data_format: String,
        /// The bytes.
        #[serde(with = "base64_bytes")]
        data: Vec<u8>,
    },
}

impl Payload {
    /// Any serializable value, as JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Payload> {
        Ok(Payload::Json(serde_json::to_value(value)?))
    }

    /// Raw bytes in the named data format.
    pub fn bytes(data_format: &str, data: Vec<u8>) -> Payload {
        Payload::Bytes {
            data_format: data_format.to_owned(),
            data,
        }
    }

    /// JSON `null`: what a handler with nothing to say returns.
    pub fn null() -> Payload {
        Payload::Json(serde_json::Value::Null)
    }

    /// `"json"`, or the data format of raw bytes.
    pub fn data_format(&self) -> &str {
        match self {
            Payload::Json(_) => "json",
            Payload::Bytes { data_format, .. } => data_format,
        }
    }

    /// The JSON value converted into `T`; fails for raw bytes.
    pub fn to_json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        match self {
            Payload::Json(value) => Ok(T::deserialize(value)?),
            Payload::Bytes { data_format, .. } => Err(Error::Malformed(format!(
                "payload is raw {data_format} bytes, not json"
            ))),
        }
    }

    /// The raw bytes; `None` for JSON.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Payload::Json(_) => None,
            Payload::Bytes { data, .. } => Some(data),
        }
    }

    /// The bytes stored in Redis: JSON text, or the raw bytes.
    pub fn encoded(&self) -> Cow<'_, [u8]> {
        match self {
            // Serializing a Value cannot fail: its map keys are strings.
            Payload::Json(value) => Cow::Owned(serde_json::to_vec(value).unwrap_or_default()),
            Payload::Bytes { data, .. } => Cow::Borrowed(data),
        }
    }

    /// Rebuilds a payload from what Redis holds: `format` is `None` for JSON.
    pub(crate) fn decode(format: Option<&str>, bytes: Vec<u8>) -> Result<Payload> {
        match format {
            None => serde_json::from_slice(&bytes)
                .map(Payload::Json)
                .map_err(|e| Error::Malformed(format!("payload is not valid json: {e}"))),
            Some(format) => Ok(Payload::bytes(format, bytes)),
        }
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::null()
    }
}

impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Self {
        Payload::Json(value)
    }
}

impl From<()> for Payload {
    fn from((): ()) -> Self {
        Payload::null()
    }
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(data))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_round_trip_through_json_as_base64() {
        let payload = Payload::bytes("bin", vec![0, 159, 146, 150]);
        let text = serde_json::to_string(&payload).unwrap();
        assert_eq!(text, r#"{"bytes":{"data_format":"bin","data":"AJ+Slg=="}}"#);
        assert_eq!(serde_json::from_str::<Payload>(&text).unwrap(), payload);
    }

    #[test]
    fn json_decodes_from_its_text_and_refuses_garbage() {
        let payload = Payload::decode(None, br#"{"a":[1,2]}"#.to_vec()).unwrap();
        assert_eq!(payload, Payload::from(json!({"a": [1, 2]})));
        let err = Payload::decode(None, b"{nope".to_vec()).unwrap_err();
        assert!(err.to_string().contains("not valid json"), "{err}");
        assert!(payload.to_json::<Vec<u8>>().is_err());
    }
}
