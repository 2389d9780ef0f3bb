//! The Redis side of [`Subscription`](crate::Subscription): a task that owns the pub/sub
//! connection, and makes it again, with every subscription renewed, when it breaks.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::aio::{PubSub, PubSubSink};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{Error, PubSubBackend, PubSubEvent, PubSubMessage, Result};

const FIRST_RETRY_DELAY: Duration = Duration::from_millis(50);

/// A request from the [`Subscription`](crate::Subscription) handle to the task.
enum Control {
    Change {
        kind: Change,
        names: Vec<String>,
        reply: oneshot::Sender<Result<()>>,
    },
}

#[derive(Clone, Copy)]
enum Change {
    Subscribe,
    PSubscribe,
    Unsubscribe,
    PUnsubscribe,
}

/// Everything the task needs to connect again.
pub(crate) struct Reconnect {
    pub(crate) client: redis::Client,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_delay: Duration,
}

/// The handle half: what a [`Subscription`](crate::Subscription) holds.
pub(crate) struct RedisPubSub {
    control: mpsc::UnboundedSender<Control>,
    events: mpsc::UnboundedReceiver<PubSubEvent>,
    task: JoinHandle<()>,
}

impl RedisPubSub {
    /// Starts the task on an already made connection.
    pub(crate) fn start(first: PubSub, reconnect: Reconnect) -> RedisPubSub {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(first, reconnect, control_rx, events_tx));
        RedisPubSub {
            control,
            events,
            task,
        }
    }

    async fn change(&mut self, kind: Change, names: Vec<String>) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.control
            .send(Control::Change { kind, names, reply })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

impl Drop for RedisPubSub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn closed() -> Error {
    Error::ConnectionLost {
        command: String::from("SUBSCRIBE"),
        reason: String::from("the subscription task has stopped"),
    }
}

#[async_trait]
impl PubSubBackend for RedisPubSub {
    async fn subscribe(&mut self, channels: Vec<String>) -> Result<()> {
        self.change(Change::Subscribe, channels).await
    }
    async fn psubscribe(&mut self, patterns: Vec<String>) -> Result<()> {
        self.change(Change::PSubscribe, patterns).await
    }
    async fn unsubscribe(&mut self, channels: Vec<String>) -> Result<()> {
        self.change(Change::Unsubscribe, channels).await
    }
    async fn punsubscribe(&mut self, patterns: Vec<String>) -> Result<()> {
        self.change(Change::PUnsubscribe, patterns).await
    }
    async fn next_event(&mut self) -> Option<PubSubEvent> {
        self.events.recv().await
    }
}

/// The channels and patterns the subscription should hold, whatever the connection's state.
#[derive(Default)]
struct Wanted {
    channels: BTreeSet<String>,
    patterns: BTreeSet<String>,
}

impl Wanted {
    fn record(&mut self, kind: Change, names: &[String]) {
        for name in names {
            match kind {
                Change::Subscribe => self.channels.insert(name.clone()),
                Change::PSubscribe => self.patterns.insert(name.clone()),
                Change::Unsubscribe => self.channels.remove(name),
                Change::PUnsubscribe => self.patterns.remove(name),
            };
        }
    }

    async fn renew(&self, sink: &mut PubSubSink) -> redis::RedisResult<()> {
        if !self.channels.is_empty() {
            sink.subscribe(self.channels.iter().collect::<Vec<_>>())
                .await?;
        }
        if !self.patterns.is_empty() {
            sink.psubscribe(self.patterns.iter().collect::<Vec<_>>())
                .await?;
        }
        Ok(())
    }
}

async fn apply(sink: &mut PubSubSink, kind: Change, names: Vec<String>) -> redis::RedisResult<()> {
    match kind {
        Change::Subscribe => sink.subscribe(names).await,
        Change::PSubscribe => sink.psubscribe(names).await,
        Change::Unsubscribe => sink.unsubscribe(names).await,
        Change::PUnsubscribe => sink.punsubscribe(names).await,
    }
}

async fn run(
    first: PubSub,
    reconnect: Reconnect,
    mut control: mpsc::UnboundedReceiver<Control>,
    events: mpsc::UnboundedSender<PubSubEvent>,
) {
    let mut wanted = Wanted::default();
    let mut connection = Some(first);
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let Some(pubsub) = connection.take() else {
            // Disconnected: keep recording requests while waiting to try again.
            tokio::select! {
                request = control.recv() => match request {
                    Some(Control::Change { kind, names, reply }) => {
                        wanted.record(kind, &names);
                        let _ = reply.send(Ok(()));
                        continue;
                    }
                    None => return,
                },
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(reconnect.max_delay);
            match tokio::time::timeout(
                reconnect.connect_timeout,
                reconnect.client.get_async_pubsub(),
            )
            .await
            {
                Ok(Ok(pubsub)) => {
                    let (mut sink, stream) = pubsub.split();
                    if wanted.renew(&mut sink).await.is_err() {
                        continue;
                    }
                    tracing::info!("pub/sub connection made again; subscriptions renewed");
                    if events.send(PubSubEvent::Reconnected).is_err() {
                        return;
                    }
                    delay = FIRST_RETRY_DELAY;
                    if serve(&mut wanted, sink, stream, &mut control, &events).await
                        || events.send(PubSubEvent::Disconnected).is_err()
                    {
                        return;
                    }
                }
                _ => tracing::debug!("pub/sub reconnect failed; trying again in {delay:?}"),
            }
            continue;
        };
        let (sink, stream) = pubsub.split();
        if serve(&mut wanted, sink, stream, &mut control, &events).await
            || events.send(PubSubEvent::Disconnected).is_err()
        {
            return;
        }
    }
}

/// Serves one connection until it breaks (returns false) or the handle is gone (true).
async fn serve(
    wanted: &mut Wanted,
    mut sink: PubSubSink,
    mut stream: redis::aio::PubSubStream,
    control: &mut mpsc::UnboundedReceiver<Control>,
    events: &mpsc::UnboundedSender<PubSubEvent>,
) -> bool {
    loop {
        tokio::select! {
            request = control.recv() => match request {
                Some(Control::Change { kind, names, reply }) => {
                    wanted.record(kind, &names);
                    let result = apply(&mut sink, kind, names).await;
                    let broken = matches!(&result, Err(e) if e.is_io_error() || e.is_connection_dropped());
                    let _ = reply.send(result.map_err(|e| Error::from_redis("SUBSCRIBE", e, None)));
                    if broken {
                        return false;
                    }
                }
                None => return true,
            },
            message = stream.next() => match message {
                Some(message) => {
                    let event = PubSubEvent::Message(PubSubMessage {
                        channel: message.get_channel_name().to_owned(),
                        pattern: message.from_pattern().then(|| message.get_pattern::<String>().ok()).flatten(),
                        payload: message.get_payload_bytes().to_vec(),
                    });
                    if events.send(event).is_err() {
                        return true;
                    }
                }
                None => {
                    tracing::warn!("pub/sub connection lost; reconnecting");
                    return false;
                }
            },
        }
    }
}
