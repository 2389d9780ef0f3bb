//! The shared multiplexed connection behind [`RedisStore`](crate::RedisStore), and how it is
//! made again when the server goes away.
//!
//! Every call clones the current `MultiplexedConnection` out of a read lock (two atomic
//! operations) and sends on it: no pool checkout, no shared future to poll. A call that
//! fails on a dead socket starts one background task that reconnects with exponential
//! backoff and swaps the new connection in. Calls made in between fail at once with a
//! retryable error instead of hanging. (redis's disconnect notice would let us reconnect
//! before any call fails, but it is only offered over RESP3, which would change the shape of
//! replies for every caller.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError, RedisResult};

const FIRST_RETRY_DELAY: Duration = Duration::from_millis(20);

/// A cheaply cloneable handle on the store's one shared connection.
#[derive(Clone)]
pub(crate) struct SharedConnection {
    state: Arc<State>,
}

struct State {
    current: RwLock<Current>,
    reconnecting: AtomicBool,
    client: redis::Client,
    config: AsyncConnectionConfig,
    max_delay: Duration,
}

struct Current {
    generation: u64,
    conn: MultiplexedConnection,
}

/// A connection as handed to one call, with the generation it belongs to.
pub(crate) struct Lease {
    pub(crate) conn: MultiplexedConnection,
    generation: u64,
}

impl SharedConnection {
    /// Makes the first connection; fails if it cannot be made.
    pub(crate) async fn connect(
        client: redis::Client,
        config: AsyncConnectionConfig,
        max_delay: Duration,
    ) -> RedisResult<SharedConnection> {
        let conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let state = Arc::new(State {
            current: RwLock::new(Current {
                generation: 0,
                conn,
            }),
            reconnecting: AtomicBool::new(false),
            client,
            config,
            max_delay,
        });
        Ok(SharedConnection { state })
    }

    /// The current connection.
    pub(crate) fn lease(&self) -> Lease {
        match self.state.current.read() {
            Ok(current) => Lease {
                conn: current.conn.clone(),
                generation: current.generation,
            },
            Err(poisoned) => {
                let current = poisoned.into_inner();
                Lease {
                    conn: current.conn.clone(),
                    generation: current.generation,
                }
            }
        }
    }

    /// Notes the outcome of a call: a dead socket starts a reconnect.
    pub(crate) fn observe<T>(&self, lease: &Lease, result: &RedisResult<T>) {
        if let Err(err) = result {
            if is_dead_connection(err) {
                start_reconnect(&self.state, lease.generation);
            }
        }
    }
}

fn is_dead_connection(err: &RedisError) -> bool {
    err.is_connection_dropped() || err.is_io_error() || err.is_connection_refusal()
}

/// Starts the reconnect task, once, if `generation` is still the current connection.
fn start_reconnect(state: &Arc<State>, generation: u64) {
    let current = match state.current.read() {
        Ok(current) => current.generation,
        Err(poisoned) => poisoned.into_inner().generation,
    };
    if current != generation || state.reconnecting.swap(true, Ordering::AcqRel) {
        return;
    }
    let weak = Arc::downgrade(state);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        state.reconnecting.store(false, Ordering::Release);
        return;
    };
    runtime.spawn(reconnect(weak, generation));
}

async fn reconnect(weak: Weak<State>, generation: u64) {
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let Some(state) = weak.upgrade() else {
            return;
        };
        let next = generation + 1;
        match state
            .client
            .get_multiplexed_async_connection_with_config(&state.config)
            .await
        {
            Ok(conn) => {
                match state.current.write() {
                    Ok(mut current) => {
                        *current = Current {
                            generation: next,
                            conn,
                        }
                    }
                    Err(poisoned) => {
                        *poisoned.into_inner() = Current {
                            generation: next,
                            conn,
                        }
                    }
                }
                state.reconnecting.store(false, Ordering::Release);
                tracing::info!("redis connection made again");
                return;
            }
            Err(err) => {
                tracing::debug!("redis reconnect failed ({err}); next try in {delay:?}");
                let max_delay = state.max_delay;
                drop(state);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(max_delay);
            }
        }
    }
}
