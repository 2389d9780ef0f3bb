//! [`Envelope`]: a message and everything the broker knows about it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// Header of a callback message: the id of the message whose handler produced the result.
pub const CORRELATION_ID: &str = "correlation-id";
/// Header of a callback message: the service whose handler produced the result.
pub const CALLBACK_OF: &str = "callback-of";

/// A message's unique id: a UUID v7 (time-ordered) in its usual text form.
///
/// The id stays the same across retries and redeliveries, so handlers can use it to make
/// their effects idempotent (at-least-once delivery means a handler may see a message twice).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// A new, unique id: the current time in milliseconds and 74 random bits.
    pub fn new() -> MessageId {
        let random = RANDOM.with(|cell| {
            let mut state = cell.get();
            let bytes = state.next_bytes();
            cell.set(state);
            bytes
        });
        let uuid = uuid::Builder::from_unix_timestamp_millis(now_ms(), &random).into_uuid();
        MessageId(uuid.hyphenated().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for MessageId {
    fn default() -> Self {
        MessageId::new()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for MessageId {
    fn from(id: String) -> Self {
        MessageId(id)
    }
}

impl From<&str> for MessageId {
    fn from(id: &str) -> Self {
        MessageId(id.to_owned())
    }
}

/// A message: its payload and its metadata. Timestamps are milliseconds since the Unix epoch,
/// set by the sender's clock and compared with the worker's (expiry) and the promoting
/// worker's (delay): keep the machines' clocks in sync.
///
/// Workers hand an `Envelope` to handlers; [`Listener`](crate::Listener)s yield them for
/// ephemeral publications. Its serde form is JSON with the payload embedded (see
/// [`Payload`]); inside Redis the broker stores the payload apart, byte for byte.
///
/// ```
/// use kvdb_broker::{Envelope, Payload};
/// use serde_json::json;
///
/// let envelope = Envelope::new("orders.create", Payload::from(json!({"order": 7})));
/// assert_eq!(envelope.attempt, 1);
/// let text = serde_json::to_string(&envelope).unwrap();
/// let back: Envelope = serde_json::from_str(&text).unwrap();
/// assert_eq!(back, envelope);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// The message's unique id.
    pub id: MessageId,
    /// The service (for `invoke_async`) or topic (for `publish`) it is for.
    pub target: String,
    /// The body.
    pub payload: Payload,
    /// When it was sent.
    pub created_at: u64,
    /// When it expires: a worker that receives it later does not handle it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// When it may be delivered, for a delayed message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_at: Option<u64>,
    /// Which attempt this delivery is: 1 the first time, 2 after one failure, and so on.
    pub attempt: u32,
    /// Free-form headers (correlation ids and the like).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The service that receives the handler's result, if any (see
    /// [`InvokeOptions::callback`](crate::InvokeOptions::callback)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

impl Envelope {
    /// A new message for `target`, created now, first attempt, no options.
    pub fn new(target: &str, payload: Payload) -> Envelope {
        Envelope {
            id: MessageId::new(),
            target: target.to_owned(),
            payload,
            created_at: now_ms(),
            expires_at: None,
            deliver_at: None,
            attempt: 1,
            headers: BTreeMap::new(),
            callback: None,
        }
    }

    /// Whether the message has expired at `now` (milliseconds since the epoch).
    pub fn is_expired_at(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The JSON payload converted into `T`; fails for a raw-bytes payload.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        self.payload.to_json()
    }
}

thread_local! {
    /// Random bits for ids: seeded once per thread from the operating system (through a v4
    /// UUID), then a xorshift generator, so an id costs no system call.
    static RANDOM: std::cell::Cell<Xorshift> = std::cell::Cell::new(Xorshift::seeded());
}

/// xorshift128+: fast, and random enough for the random part of an id (uniqueness, not
/// secrecy).
#[derive(Clone, Copy)]
struct Xorshift([u64; 2]);

impl Xorshift {
    fn seeded() -> Xorshift {
        let seed = uuid::Uuid::new_v4().as_u128();
        // The state must not be all zeros.
        Xorshift([(seed >> 64) as u64 | 1, seed as u64])
    }

    fn next(&mut self) -> u64 {
        let [mut a, b] = self.0;
        let result = a.wrapping_add(b);
        a ^= a << 23;
        self.0 = [b, a ^ b ^ (a >> 17) ^ (b >> 26)];
        result
    }

    fn next_bytes(&mut self) -> [u8; 10] {
        let high = self.next().to_le_bytes();
        let low = self.next().to_le_bytes();
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&high);
        out[8..].copy_from_slice(&low[..2]);
        out
    }
}

/// Milliseconds since the Unix epoch, by this machine's clock.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}

/// `now + after` in milliseconds, saturating.
pub(crate) fn after_ms(now: u64, after: Duration) -> u64 {
    now.saturating_add(u64::try_from(after.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_version_7_uuids() {
        let ids: std::collections::HashSet<MessageId> =
            (0..10_000).map(|_| MessageId::new()).collect();
        assert_eq!(ids.len(), 10_000);
        let any = ids.iter().next().unwrap();
        let uuid = uuid::Uuid::parse_str(any.as_str()).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
    }
}
