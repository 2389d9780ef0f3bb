//! [`KvStoreExt`]: typed conveniences over any [`KvStore`].

use std::time::Duration;

use async_trait::async_trait;
use redis::{Cmd, FromRedisValue, ToRedisArgs, Value};

use crate::error::command_name;
use crate::pipeline::compose;
use crate::{Error, KvStore, Result, ServerInfo, StoreConnection};

/// When [`KvStoreExt::set_with`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetCondition {
    /// Always.
    #[default]
    Always,
    /// Only if the key does not exist (`NX`).
    IfAbsent,
    /// Only if the key exists (`XX`).
    IfPresent,
}

/// Options for [`KvStoreExt::set_with`]: expiry and condition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetOptions {
    /// Expire the key after this long (`PX`), rounded to milliseconds.
    pub expire_after: Option<Duration>,
    /// When to write.
    pub condition: SetCondition,
}

impl SetOptions {
    /// Sets the expiry.
    pub fn expire_after(mut self, ttl: Duration) -> Self {
        self.expire_after = Some(ttl);
        self
    }

    /// Sets the condition.
    pub fn condition(mut self, condition: SetCondition) -> Self {
        self.condition = condition;
        self
    }
}

/// Typed helpers for every [`KvStore`], including `dyn KvStore`.
///
/// Each helper is one Redis command; anything not covered here is a
/// [`query`](Self::query) of a `redis::cmd(..)` away, or runs through redis's own
/// `AsyncCommands` on [`connection`](Self::connection).
#[async_trait]
pub trait KvStoreExt: KvStore {
    /// Runs a command and converts its reply.
    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let value = self.req_command(cmd).await?;
        convert(cmd, value)
    }

    /// Runs a `redis::Pipeline` and converts its replies as redis's `query_async` would.
    /// Use [`Pipeline`](crate::Pipeline) for pipelines that hold scripts.
    async fn query_pipeline<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T> {
        let replies = self.req_pipeline(pipe).await?;
        compose(pipe, replies).await
    }

    /// redis's own command API over this store: see [`StoreConnection`].
    fn connection(&self) -> StoreConnection<'_>
    where
        Self: Sized,
    {
        StoreConnection::new(self)
    }

    /// `GET key`; use `Option<V>` for a key that may be missing.
    async fn get<K: ToRedisArgs + Send + Sync, V: FromRedisValue>(&self, key: K) -> Result<V> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    /// `SET key value`.
    async fn set<K: ToRedisArgs + Send + Sync, V: ToRedisArgs + Send + Sync>(
        &self,
        key: K,
        value: V,
    ) -> Result<()> {
        self.query(redis::cmd("SET").arg(key).arg(value)).await
    }

    /// `SET key value [PX ms] [NX|XX]`; returns whether the value was written.
    async fn set_with<K: ToRedisArgs + Send + Sync, V: ToRedisArgs + Send + Sync>(
        &self,
        key: K,
        value: V,
        options: SetOptions,
    ) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        if let Some(ttl) = options.expire_after {
            cmd.arg("PX").arg(ttl.as_millis().max(1) as u64);
        }
        match options.condition {
            SetCondition::Always => {}
            SetCondition::IfAbsent => {
                cmd.arg("NX");
            }
            SetCondition::IfPresent => {
                cmd.arg("XX");
            }
        }
        let reply: Option<String> = self.query(&cmd).await?;
        Ok(reply.is_some())
    }

    /// `DEL key..`; returns how many keys were removed.
    async fn del<K: ToRedisArgs + Send + Sync>(&self, keys: K) -> Result<u64> {
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    /// `EXISTS key`.
    async fn exists<K: ToRedisArgs + Send + Sync>(&self, key: K) -> Result<bool> {
        self.query(redis::cmd("EXISTS").arg(key)).await
    }

    /// `PEXPIRE key ms`; returns whether the key exists.
    async fn expire<K: ToRedisArgs + Send + Sync>(&self, key: K, ttl: Duration) -> Result<bool> {
        self.query(redis::cmd("PEXPIRE").arg(key).arg(ttl.as_millis() as u64))
            .await
    }

    /// `PTTL key`: the remaining time to live, `None` if the key has no expiry or is missing.
    async fn ttl<K: ToRedisArgs + Send + Sync>(&self, key: K) -> Result<Option<Duration>> {
        let ms: i64 = self.query(redis::cmd("PTTL").arg(key)).await?;
        Ok(u64::try_from(ms).ok().map(Duration::from_millis))
    }

    /// `INCRBY key delta`; returns the new value.
    async fn incr_by<K: ToRedisArgs + Send + Sync>(&self, key: K, delta: i64) -> Result<i64> {
        self.query(redis::cmd("INCRBY").arg(key).arg(delta)).await
    }

    /// `HGET key field`.
    async fn hget<K, F, V>(&self, key: K, field: F) -> Result<V>
    where
        K: ToRedisArgs + Send + Sync,
        F: ToRedisArgs + Send + Sync,
        V: FromRedisValue,
    {
        self.query(redis::cmd("HGET").arg(key).arg(field)).await
    }

    /// `HSET key field value`; returns whether the field is new.
    async fn hset<K, F, V>(&self, key: K, field: F, value: V) -> Result<bool>
    where
        K: ToRedisArgs + Send + Sync,
        F: ToRedisArgs + Send + Sync,
        V: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("HSET").arg(key).arg(field).arg(value))
            .await
    }

    /// `HGETALL key`, into a map type such as `HashMap<String, String>`.
    async fn hgetall<K: ToRedisArgs + Send + Sync, V: FromRedisValue>(&self, key: K) -> Result<V> {
        self.query(redis::cmd("HGETALL").arg(key)).await
    }

    /// `HDEL key field..`; returns how many fields were removed.
    async fn hdel<K, F>(&self, key: K, fields: F) -> Result<u64>
    where
        K: ToRedisArgs + Send + Sync,
        F: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("HDEL").arg(key).arg(fields)).await
    }

    /// `RPUSH key value..`; returns the list's new length.
    async fn rpush<K, V>(&self, key: K, values: V) -> Result<u64>
    where
        K: ToRedisArgs + Send + Sync,
        V: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("RPUSH").arg(key).arg(values)).await
    }

    /// `LRANGE key start stop`.
    async fn lrange<K: ToRedisArgs + Send + Sync, V: FromRedisValue>(
        &self,
        key: K,
        start: isize,
        stop: isize,
    ) -> Result<V> {
        self.query(redis::cmd("LRANGE").arg(key).arg(start).arg(stop))
            .await
    }

    /// `SADD key member..`; returns how many members were added.
    async fn sadd<K, M>(&self, key: K, members: M) -> Result<u64>
    where
        K: ToRedisArgs + Send + Sync,
        M: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("SADD").arg(key).arg(members)).await
    }

    /// `SMEMBERS key`.
    async fn smembers<K: ToRedisArgs + Send + Sync, V: FromRedisValue>(&self, key: K) -> Result<V> {
        self.query(redis::cmd("SMEMBERS").arg(key)).await
    }

    /// `ZADD key score member`; returns whether the member is new.
    async fn zadd<K, M>(&self, key: K, member: M, score: f64) -> Result<bool>
    where
        K: ToRedisArgs + Send + Sync,
        M: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("ZADD").arg(key).arg(score).arg(member))
            .await
    }

    /// `ZRANGE key start stop` (by rank).
    async fn zrange<K: ToRedisArgs + Send + Sync, V: FromRedisValue>(
        &self,
        key: K,
        start: isize,
        stop: isize,
    ) -> Result<V> {
        self.query(redis::cmd("ZRANGE").arg(key).arg(start).arg(stop))
            .await
    }

    /// `XADD key * field value..`; returns the new entry's id.
    async fn xadd<K, F, V>(&self, key: K, fields: &[(F, V)]) -> Result<String>
    where
        K: ToRedisArgs + Send + Sync,
        F: ToRedisArgs + Send + Sync,
        V: ToRedisArgs + Send + Sync,
    {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(key).arg("*");
        for (field, value) in fields {
            cmd.arg(field).arg(value);
        }
        self.query(&cmd).await
    }

    /// `XLEN key`.
    async fn xlen<K: ToRedisArgs + Send + Sync>(&self, key: K) -> Result<u64> {
        self.query(redis::cmd("XLEN").arg(key)).await
    }

    /// `PUBLISH channel message`; returns how many subscribers received it.
    async fn publish<C, M>(&self, channel: C, message: M) -> Result<u64>
    where
        C: ToRedisArgs + Send + Sync,
        M: ToRedisArgs + Send + Sync,
    {
        self.query(redis::cmd("PUBLISH").arg(channel).arg(message))
            .await
    }

    /// `INFO`, parsed: see [`ServerInfo`].
    async fn info(&self) -> Result<ServerInfo> {
        self.info_section("everything").await
    }

    /// `INFO section` (`"server"`, `"keyspace"`, `"commandstats"`, ...), parsed.
    async fn info_section(&self, section: &str) -> Result<ServerInfo> {
        let text: String = self.query(redis::cmd("INFO").arg(section)).await?;
        Ok(ServerInfo::parse(&text))
    }

    /// `PING`; fails if the server does not answer `PONG`.
    async fn ping(&self) -> Result<()> {
        let pong: String = self.query(&redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(Error::Response {
                command: String::from("PING"),
                reason: format!("expected PONG, got {pong:?}"),
            })
        }
    }
}

impl<S: KvStore + ?Sized> KvStoreExt for S {}

/// Converts a command's reply, turning an error reply into [`Error::Server`].
pub(crate) fn convert<T: FromRedisValue>(cmd: &Cmd, value: Value) -> Result<T> {
    let value = value
        .extract_error()
        .map_err(|e| Error::from_redis(&command_name(cmd), e, None))?;
    redis::from_redis_value(value).map_err(|e| Error::Response {
        command: command_name(cmd),
        reason: e.to_string(),
    })
}
