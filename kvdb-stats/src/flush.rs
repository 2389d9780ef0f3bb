//! Flushing: turning what was recorded into one pipeline of idempotent script calls.
//!
//! A flush sends, in one pipeline: per minute bucket touched, one `merge_bucket.lua` call
//! per `services_per_script_call` services; one `push_slow_calls.lua` call per as many
//! services with slow calls; and per hour touched a `ZINCRBY` of the rollup job's dirty set,
//! so the job knows which hours to roll up (again, if calls arrive late). Writes grow with
//! services, not with calls.
//!
//! Every script call carries this process's id and a sequence number, and a bucket records
//! the last number it took from each process, so a flush that failed half-way (connection
//! lost after the server ran it) can be sent again without counting anything twice.

use std::sync::LazyLock;

use kvdb_core::{KvStore, Pipeline, Script};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::keys::Keys;
use crate::recorder::Drained;
use crate::{Level, StatsOptions};

static MERGE_BUCKET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/merge_bucket.lua")));
static PUSH_SLOW_CALLS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/push_slow_calls.lua")));

/// What a [`Stats::flush`](crate::Stats::flush) wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FlushReport {
    /// Calls written.
    pub calls: u64,
    /// Service-minute aggregates written (a service recorded in two minutes counts twice).
    pub aggregates: usize,
    /// Minute buckets written to.
    pub buckets: usize,
    /// Slow calls written.
    pub slow_calls: usize,
    /// Pipelines sent (1, or 2 when an earlier failed flush was sent again first; 0 when
    /// there was nothing to write).
    pub pipelines: usize,
}

impl FlushReport {
    fn add(&mut self, batch: &Batch) {
        self.calls += batch.calls;
        self.aggregates += batch.aggregates;
        self.buckets += batch.buckets;
        self.slow_calls += batch.slow_calls;
        self.pipelines += 1;
    }
}

/// One flush's writes, kept until Redis has taken them.
#[derive(Debug)]
pub(crate) struct Batch {
    pipeline: Pipeline,
    pub(crate) calls: u64,
    aggregates: usize,
    buckets: usize,
    slow_calls: usize,
}

/// Builds batches for one [`Stats`](crate::Stats): its keys, process id and sequence.
#[derive(Debug)]
pub(crate) struct BatchBuilder {
    pub(crate) keys: Keys,
    pub(crate) process: String,
    pub(crate) next_sequence: u64,
}

impl BatchBuilder {
    /// The batch writing `drained`.
    pub(crate) fn build(&mut self, drained: Drained, options: &StatsOptions) -> Batch {
        let mut pipeline = Pipeline::new();
        let mut batch_calls = 0;
        let mut aggregates = 0;
        let per_call = options.services_per_script_call.max(1);
        let minute_ttl = options.retention.minute.as_secs();
        let mut hours = Vec::new();
        let buckets = drained.minutes.len();
        for (minute, services) in drained.minutes {
            let expire_at_ms = Level::Minute
                .end_of(minute)
                .saturating_add(minute_ttl)
                .saturating_mul(1000);
            let keys = [
                self.keys.data(Level::Minute, minute),
                self.keys.applied(Level::Minute, minute),
            ];
            let mut services: Vec<(String, Aggregate)> = services.into_iter().collect();
            services.sort_by(|a, b| a.0.cmp(&b.0));
            aggregates += services.len();
            for chunk in services.chunks(per_call) {
                let usage: u64 = chunk.iter().map(|(_, a)| a.usage).sum();
                let time = chunk
                    .iter()
                    .fold(0u64, |sum, (_, a)| sum.saturating_add(a.total_ns));
                batch_calls += usage;
                let mut args = Vec::with_capacity(5 + chunk.len() * 6);
                args.extend([
                    self.process.clone(),
                    self.sequence().to_string(),
                    expire_at_ms.to_string(),
                    usage.to_string(),
                    time.to_string(),
                ]);
                for (service, aggregate) in chunk {
                    args.push(service.clone());
                    args.extend(aggregate.values());
                }
                pipeline.invoke_script(&MERGE_BUCKET, &keys, &args).ignore();
            }
            let hour = Level::Hour.bucket_of(Level::Minute.start_of(minute));
            if !hours.contains(&hour) {
                hours.push(hour);
                pipeline
                    .zincr(self.keys.dirty(), format!("hour:{hour}"), 1)
                    .ignore();
            }
        }
        let slow_calls = self.push_slow_calls(&mut pipeline, drained.slow, options);
        Batch {
            pipeline,
            calls: batch_calls,
            aggregates,
            buckets,
            slow_calls,
        }
    }

    fn sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    fn push_slow_calls(
        &mut self,
        pipeline: &mut Pipeline,
        slow: std::collections::HashMap<String, Vec<crate::SlowCall>>,
        options: &StatsOptions,
    ) -> usize {
        let mut services: Vec<_> = slow.into_iter().collect();
        services.sort_by(|a, b| a.0.cmp(&b.0));
        let ttl_ms = options.retention.slow_calls.as_millis().max(1).to_string();
        let mut written = 0;
        for chunk in services.chunks(options.services_per_script_call.max(1)) {
            let mut keys = vec![self.keys.slow_applied()];
            let mut args = vec![
                self.process.clone(),
                self.sequence().to_string(),
                options.slow_calls_kept.to_string(),
                ttl_ms.clone(),
            ];
            for (service, calls) in chunk {
                keys.push(self.keys.slow_calls(service));
                let encoded: Vec<String> = calls
                    .iter()
                    .filter_map(|call| serde_json::to_string(call).ok())
                    .collect();
                written += encoded.len();
                args.push(encoded.len().to_string());
                args.extend(encoded);
            }
            pipeline
                .invoke_script(&PUSH_SLOW_CALLS, &keys, &args)
                .ignore();
        }
        written
    }
}

impl Batch {
    /// Sends the batch in one pipeline (plus a reload round trip if Redis forgot the scripts).
    pub(crate) async fn send(
        &self,
        store: &dyn KvStore,
        report: &mut FlushReport,
    ) -> kvdb_core::Result<()> {
        self.pipeline.exec(store).await?;
        report.add(self);
        Ok(())
    }
}
