//! [`Handler`]: what a worker runs for each message, and [`HandlerError`], how it fails.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;

use crate::{Envelope, Payload};

/// Handles the messages of one service or subscription.
///
/// Return the result (sent to the message's callback service, if it has one; return
/// [`Payload::null`] when there is nothing to say) or a [`HandlerError`], after which the
/// message is retried with backoff and, after the last attempt, dead-lettered with the
/// error's text. A panic counts as an error. Delivery is at least once: a message may be
/// handled again after a crash, so make effects idempotent ([`Envelope::id`] stays the same).
///
/// Closures are registered with [`Worker::handle`](crate::Worker::handle); implement this
/// trait for handlers that carry state and register them with
/// [`Worker::handle_with`](crate::Worker::handle_with).
///
/// ```
/// use kvdb_broker::{async_trait, Envelope, Handler, HandlerError, Payload};
///
/// struct Echo;
///
/// #[async_trait]
/// impl Handler for Echo {
///     async fn handle(&self, envelope: Envelope) -> Result<Payload, HandlerError> {
///         Ok(envelope.payload)
///     }
/// }
/// ```
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Handles one message.
    async fn handle(&self, envelope: Envelope) -> Result<Payload, HandlerError>;
}

/// Why a handler failed: its text becomes the dead letter's reason.
///
/// Any `std::error::Error` converts into it, so `?` works in handlers; for a plain message
/// use [`HandlerError::new`]. (It does not implement `std::error::Error` itself, so that
/// blanket conversion can exist.)
pub struct HandlerError {
    message: String,
}

impl HandlerError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(err: E) -> Self {
        HandlerError {
            message: err.to_string(),
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HandlerError").field(&self.message).finish()
    }
}

/// A closure as a [`Handler`]: `Fn(Envelope) -> impl Future<Output = Result<R, HandlerError>>`
/// where `R` converts into a [`Payload`] (`()`, a `serde_json::Value`, a `Payload`).
pub(crate) struct FnHandler<F, R> {
    f: F,
    result: PhantomData<fn() -> R>,
}

impl<F, R> FnHandler<F, R> {
    pub(crate) fn new(f: F) -> Self {
        FnHandler {
            f,
            result: PhantomData,
        }
    }
}

#[async_trait]
impl<F, Fut, R> Handler for FnHandler<F, R>
where
    F: Fn(Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, HandlerError>> + Send + 'static,
    R: Into<Payload> + 'static,
{
    async fn handle(&self, envelope: Envelope) -> Result<Payload, HandlerError> {
        (self.f)(envelope).await.map(Into::into)
    }
}
