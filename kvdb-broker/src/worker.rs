//! [`Worker`]: handlers by service or subscription, run with bounded concurrency.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::consume::{make_group, run_queue};
use crate::control::Stop;
use crate::handler::FnHandler;
use crate::maintenance::{forget_consumers, run_maintenance};
use crate::queue_ref::validate_name;
use crate::settle::{run_acker, Dispatch, QueueCtx};
use crate::WorkerOptions;
use crate::{Broker, Envelope, Error, Handler, HandlerError, Payload, QueueRef, Result};

/// Handles messages: register handlers by service name (and durable subscriptions by topic
/// and name), then [`start`](Self::start) it.
///
/// For each queue it reads (the queue of each service, see
/// [`BrokerOptions::route`](crate::BrokerOptions::route), and each subscription), a running
/// worker fetches messages in batches with a blocking read, runs each handler in a task of its
/// own (at most [`WorkerOptions::concurrency`] at once), and acknowledges successes in batches.
/// Failures are retried with backoff and end in the dead letters; messages whose worker died
/// are taken over after the visibility timeout; due delayed messages are moved onto the
/// queue. Any number of workers, in any number of processes, may read the same queues: each
/// message goes to one of them.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use kvdb_broker::{Broker, Envelope, HandlerError, Worker, WorkerOptions};
/// use kvdb_core::RedisStore;
/// use serde_json::json;
///
/// # async fn run() -> kvdb_broker::Result<()> {
/// let broker = Broker::new(Arc::new(RedisStore::connect("redis://127.0.0.1:6379").await?));
/// let worker = Worker::new(&broker)
///     .options(WorkerOptions::default().concurrency(32))
///     .handle("orders.create", |envelope: Envelope| async move {
///         let order: serde_json::Value = envelope.json()?;
///         Ok::<_, HandlerError>(json!({"created": order["id"]}))
///     })
///     .subscribe("config.changed", "reloader", |_envelope: Envelope| async move {
///         Ok::<_, HandlerError>(())
///     })
///     .start()
///     .await?;
/// // ... later:
/// let report = worker.shutdown(Duration::from_secs(10)).await;
/// assert_eq!(report.abandoned, 0);
/// # Ok(())
/// # }
/// ```
pub struct Worker {
    broker: Broker,
    options: WorkerOptions,
    services: Vec<(String, Arc<dyn Handler>)>,
    subscriptions: Vec<(String, String, Arc<dyn Handler>)>,
    queues: Vec<String>,
}

impl Worker {
    /// A worker with no handlers and default options.
    pub fn new(broker: &Broker) -> Worker {
        Worker {
            broker: broker.clone(),
            options: WorkerOptions::default(),
            services: Vec::new(),
            subscriptions: Vec::new(),
            queues: Vec::new(),
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: WorkerOptions) -> Self {
        self.options = options;
        self
    }

    /// Handles `service`'s messages with an async closure returning `Ok(result)` (anything
    /// that converts into a [`Payload`]: `()`, a `serde_json::Value`, a `Payload`) or a
    /// [`HandlerError`].
    pub fn handle<F, Fut, R>(self, service: &str, f: F) -> Self
    where
        F: Fn(Envelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, HandlerError>> + Send + 'static,
        R: Into<Payload> + 'static,
    {
        self.handle_with(service, FnHandler::new(f))
    }

    /// Handles `service`'s messages with a [`Handler`].
    pub fn handle_with(mut self, service: &str, handler: impl Handler) -> Self {
        self.services.push((service.to_owned(), Arc::new(handler)));
        self
    }

    /// Handles the messages of the durable subscription `name` to `topic` (created if
    /// missing) with an async closure, as [`handle`](Self::handle).
    pub fn subscribe<F, Fut, R>(self, topic: &str, name: &str, f: F) -> Self
    where
        F: Fn(Envelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, HandlerError>> + Send + 'static,
        R: Into<Payload> + 'static,
    {
        self.subscribe_with(topic, name, FnHandler::new(f))
    }

    /// Handles a durable subscription's messages with a [`Handler`].
    pub fn subscribe_with(mut self, topic: &str, name: &str, handler: impl Handler) -> Self {
        self.subscriptions
            .push((topic.to_owned(), name.to_owned(), Arc::new(handler)));
        self
    }

    /// Reads this queue too, besides the queues of the handled services: for a queue that
    /// several services share (messages sent with [`InvokeOptions::queue`](crate::InvokeOptions::queue)).
    pub fn queue(mut self, name: &str) -> Self {
        self.queues.push(name.to_owned());
        self
    }

    /// Makes the queues' consumer groups (and the subscriptions) if missing, then starts
    /// reading. Fails if a name is invalid, a service or subscription has two handlers, or
    /// there is no handler at all.
    pub async fn start(self) -> Result<RunningWorker> {
        let Worker {
            broker,
            options,
            services,
            subscriptions,
            queues: extra_queues,
        } = self;
        if services.is_empty() && subscriptions.is_empty() {
            return Err(Error::NoHandlers);
        }
        let mut handlers: HashMap<String, Arc<dyn Handler>> = HashMap::new();
        let mut queues: BTreeSet<String> = BTreeSet::new();
        for (service, handler) in services {
            validate_name("service", &service, false)?;
            queues.insert(broker.options().queue_for(&service).to_owned());
            if handlers.insert(service.clone(), handler).is_some() {
                return Err(Error::DuplicateHandler(format!("service {service:?}")));
            }
        }
        queues.extend(extra_queues);
        let mut plan: Vec<(QueueRef, Dispatch)> = Vec::new();
        let services = Dispatch::Services(Arc::new(handlers));
        for queue in queues {
            let queue = QueueRef::Queue(queue);
            queue.validate()?;
            plan.push((queue, services.clone()));
        }
        for (topic, name, handler) in subscriptions {
            let queue = QueueRef::subscription(&topic, &name);
            queue.validate()?;
            if plan.iter().any(|(known, _)| *known == queue) {
                return Err(Error::DuplicateHandler(format!("subscription {queue}")));
            }
            plan.push((queue, Dispatch::Single(handler)));
        }
        for (queue, _) in &plan {
            match queue {
                QueueRef::Subscription { topic, name } => {
                    broker.create_subscription(topic, name).await?;
                }
                QueueRef::Queue(_) => make_group(&broker, queue).await?,
            }
        }

        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let consumer = format!("{}-{}", options.name, &suffix[..12]);
        let options = Arc::new(options);
        let permits = Arc::new(Semaphore::new(options.concurrency));
        let (stop_tx, stop) = Stop::channel();
        let mut running = RunningWorker {
            consumer: consumer.clone(),
            queues: plan.iter().map(|(queue, _)| queue.clone()).collect(),
            stop: stop_tx,
            fetchers: Vec::new(),
            helpers: Vec::new(),
            broker: broker.clone(),
            permits: permits.clone(),
            concurrency: options.concurrency,
        };
        for (queue, dispatch) in plan {
            let (acks, acks_rx) = mpsc::unbounded_channel();
            let keys = queue.keys(broker.namespace());
            let ctx = Arc::new(QueueCtx {
                broker: broker.clone(),
                queue: queue.clone(),
                keys: keys.clone(),
                consumer: consumer.clone(),
                options: options.clone(),
                dispatch,
                acks,
                stop: stop.clone(),
            });
            running.helpers.push(tokio::spawn(run_acker(
                broker.clone(),
                keys,
                queue,
                acks_rx,
                stop.clone(),
            )));
            running
                .helpers
                .push(tokio::spawn(run_maintenance(ctx.clone())));
            running
                .fetchers
                .push(tokio::spawn(run_queue(ctx.clone(), permits.clone())));
        }
        tracing::info!(consumer, queues = ?running.queues, "worker started");
        Ok(running)
    }
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field(
                "services",
                &self.services.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            )
            .field(
                "subscriptions",
                &self
                    .subscriptions
                    .iter()
                    .map(|(t, n, _)| format!("{t}/{n}"))
                    .collect::<Vec<_>>(),
            )
            .field("options", &self.options)
            .finish()
    }
}

/// How a graceful shutdown went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Handlers still running at the deadline, cut off; their messages are redelivered after
    /// the visibility timeout.
    pub abandoned: usize,
}

/// A started [`Worker`]. Stop it with [`shutdown`](Self::shutdown); dropping it (or
/// [`abort`](Self::abort)) stops everything at once, as a crash would: messages in flight are
/// then redelivered after the visibility timeout.
pub struct RunningWorker {
    consumer: String,
    queues: Vec<QueueRef>,
    stop: watch::Sender<Option<Instant>>,
    fetchers: Vec<JoinHandle<usize>>,
    helpers: Vec<JoinHandle<()>>,
    broker: Broker,
    permits: Arc<Semaphore>,
    concurrency: usize,
}

impl RunningWorker {
    /// This worker's consumer name (unique per start).
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// The queues it reads.
    pub fn queues(&self) -> &[QueueRef] {
        &self.queues
    }

    /// Handlers running now.
    pub fn in_flight(&self) -> usize {
        self.concurrency
            .saturating_sub(self.permits.available_permits())
    }

    /// Stops fetching, lets running handlers finish until `deadline` from now, acknowledges
    /// what they finished, and cuts off the rest (redelivered after the visibility timeout).
    pub async fn shutdown(mut self, deadline: Duration) -> ShutdownReport {
        let at = Instant::now() + deadline;
        self.stop.send_replace(Some(at));
        let mut abandoned = 0;
        for fetcher in std::mem::take(&mut self.fetchers) {
            abandoned += fetcher.await.unwrap_or(0);
        }
        for helper in std::mem::take(&mut self.helpers) {
            // Acknowledgements retry until the deadline; give them a moment past it.
            let grace = at + Duration::from_millis(500);
            let abort = helper.abort_handle();
            if tokio::time::timeout_at(grace, helper).await.is_err() {
                abort.abort();
            }
        }
        // Leave the groups, unless something is still pending for this consumer.
        for queue in &self.queues {
            let keys = queue.keys(self.broker.namespace());
            let _ = forget_consumers(&**self.broker.store(), &keys, u64::MAX, &self.consumer).await;
        }
        tracing::info!(consumer = %self.consumer, abandoned, "worker stopped");
        ShutdownReport { abandoned }
    }

    /// Stops everything at once, like dropping the handle.
    pub fn abort(self) {
        drop(self);
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        for task in &self.fetchers {
            task.abort();
        }
        for task in &self.helpers {
            task.abort();
        }
    }
}

impl fmt::Debug for RunningWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningWorker")
            .field("consumer", &self.consumer)
            .field("queues", &self.queues)
            .field("in_flight", &self.in_flight())
            .finish()
    }
}
