//! Options of the broker and of single sends: [`BrokerOptions`], [`InvokeOptions`],
//! [`PublishOptions`], [`Invocation`].

use std::collections::BTreeMap;
use std::time::Duration;

use crate::Payload;

/// How a [`Broker`](crate::Broker) behaves; shared by everything made from it (senders,
/// workers, inspection). Start from `BrokerOptions::default()`:
///
/// ```
/// use kvdb_broker::BrokerOptions;
///
/// let options = BrokerOptions::default()
///     .max_payload(64 * 1024)
///     .dead_letter_cap(1_000)
///     .route("billing.invoice", "billing");
/// assert_eq!(options.queue_for("billing.invoice"), "billing");
/// assert_eq!(options.queue_for("orders.create"), "orders.create");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BrokerOptions {
    /// The largest payload accepted by `invoke_async` and `publish`, in bytes. Default 1 MiB.
    pub max_payload: usize,
    /// How many dead letters each queue keeps; the oldest go first. Default 10,000.
    pub dead_letter_cap: u64,
    /// Services routed to a queue other than their own name (see [`route`](Self::route)).
    pub routes: BTreeMap<String, String>,
}

impl Default for BrokerOptions {
    fn default() -> Self {
        BrokerOptions {
            max_payload: 1024 * 1024,
            dead_letter_cap: 10_000,
            routes: BTreeMap::new(),
        }
    }
}

impl BrokerOptions {
    /// Sets the largest payload accepted, in bytes.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }

    /// Sets how many dead letters each queue keeps (at least 1).
    pub fn dead_letter_cap(mut self, cap: u64) -> Self {
        self.dead_letter_cap = cap.max(1);
        self
    }

    /// Sends messages for `service` to `queue` instead of the queue named after the service.
    /// Senders and workers must agree, so give both the same options: a worker with a handler
    /// for `service` then reads `queue`.
    pub fn route(mut self, service: &str, queue: &str) -> Self {
        self.routes.insert(service.to_owned(), queue.to_owned());
        self
    }

    /// The queue a service's messages go to: its route, or the service's own name.
    pub fn queue_for<'a>(&'a self, service: &'a str) -> &'a str {
        self.routes.get(service).map_or(service, String::as_str)
    }
}

/// Options of one `invoke_async`: expiration, delay, callback, headers, queue.
///
/// ```
/// use std::time::Duration;
/// use kvdb_broker::InvokeOptions;
///
/// let options = InvokeOptions::default()
///     .expires_in(Duration::from_secs(60))
///     .delay(Duration::from_secs(5))
///     .callback("orders.created")
///     .header("correlation-id", "abc");
/// assert_eq!(options.headers["correlation-id"], "abc");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvokeOptions {
    /// Expire the message this long after sending: a worker that receives it later does not
    /// handle it (Zato's `expiration`).
    pub expires_in: Option<Duration>,
    /// Deliver no earlier than this long after sending.
    pub delay: Option<Duration>,
    /// A service that receives the handler's result (Zato's `callback`).
    pub callback: Option<String>,
    /// Headers for the envelope.
    pub headers: BTreeMap<String, String>,
    /// The queue to send to, instead of the service's route.
    pub queue: Option<String>,
}

impl InvokeOptions {
    /// Sets the expiration.
    pub fn expires_in(mut self, ttl: Duration) -> Self {
        self.expires_in = Some(ttl);
        self
    }

    /// Sets the delay.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sets the callback service. When the handler succeeds, its result is sent to this
    /// service with `invoke_async`, with the header [`CORRELATION_ID`](crate::CORRELATION_ID)
    /// holding this message's id and [`CALLBACK_OF`](crate::CALLBACK_OF) the service that
    /// produced it.
    pub fn callback(mut self, service: &str) -> Self {
        self.callback = Some(service.to_owned());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sends to this queue, whatever the service's route.
    pub fn queue(mut self, queue: &str) -> Self {
        self.queue = Some(queue.to_owned());
        self
    }
}

/// Options of one `publish`: expiration and headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishOptions {
    /// Expire the message this long after publishing: a subscription's worker that receives it
    /// later does not handle it.
    pub expires_in: Option<Duration>,
    /// Headers for the envelope.
    pub headers: BTreeMap<String, String>,
}

impl PublishOptions {
    /// Sets the expiration.
    pub fn expires_in(mut self, ttl: Duration) -> Self {
        self.expires_in = Some(ttl);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }
}

/// One message of a batch send ([`Broker::invoke_batch`](crate::Broker::invoke_batch)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Invocation {
    /// The service it is for.
    pub service: String,
    /// The body.
    pub payload: Payload,
    /// Its options.
    pub options: InvokeOptions,
}

impl Invocation {
    /// A message for `service` with default options.
    pub fn new(service: &str, payload: impl Into<Payload>) -> Invocation {
        Invocation {
            service: service.to_owned(),
            payload: payload.into(),
            options: InvokeOptions::default(),
        }
    }

    /// Sets its options.
    pub fn options(mut self, options: InvokeOptions) -> Self {
        self.options = options;
        self
    }
}
