//! [`Keys`]: where statistics live in Redis.
//!
//! - `<ns>:{stats:<level>:<id>}:data`: a bucket's hash (see `aggregate.rs`), and
//!   `<ns>:{stats:<level>:<id>}:applied`: which flushes it has taken (process id -> last
//!   flush sequence number), so a retried flush is never counted twice. One hash tag per
//!   bucket: a bucket's keys live together, buckets spread over a cluster.
//! - `<ns>:{stats:rollup}:marks`: the rollup job's watermarks (`hour`, `day`, `month`: every
//!   bucket up to this one is rolled up); `<ns>:{stats:rollup}:dirty`: buckets to roll up (a
//!   sorted set, `hour:<id>` / `day:<id>` / `month:<id>` -> how many times marked); and
//!   `<ns>:{stats:rollup}:lock`: the lease of the process running the job.
//! - `<ns>:{stats:slow}:calls:<service>`: a service's recent slow calls (a list, newest
//!   first, JSON), and `<ns>:{stats:slow}:applied`: the same duplicate guard as buckets.
//!
//! Nothing is ever found with KEYS or SCAN: a bucket's hash is its own index of services.

use kvdb_core::Namespace;

use crate::Level;

/// The feature name in every key's hash tag.
const FEATURE: &str = "stats";

/// Builds the keys of one namespace.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    namespace: Namespace,
}

impl Keys {
    pub(crate) fn new(namespace: &Namespace) -> Keys {
        Keys {
            namespace: namespace.clone(),
        }
    }

    fn bucket(&self, level: Level, id: u64, suffix: &str) -> String {
        self.namespace
            .keyspace(FEATURE, &format!("{}:{id}", level.name()))
            .key(suffix)
    }

    /// A bucket's hash of statistics.
    pub(crate) fn data(&self, level: Level, id: u64) -> String {
        self.bucket(level, id, "data")
    }

    /// A bucket's record of applied flushes.
    pub(crate) fn applied(&self, level: Level, id: u64) -> String {
        self.bucket(level, id, "applied")
    }

    /// The rollup watermarks.
    pub(crate) fn marks(&self) -> String {
        self.namespace.keyspace(FEATURE, "rollup").key("marks")
    }

    /// The buckets waiting to be rolled up.
    pub(crate) fn dirty(&self) -> String {
        self.namespace.keyspace(FEATURE, "rollup").key("dirty")
    }

    /// The rollup job's lease.
    pub(crate) fn rollup_lock(&self) -> String {
        self.namespace.keyspace(FEATURE, "rollup").key("lock")
    }

    /// A service's list of slow calls.
    pub(crate) fn slow_calls(&self, service: &str) -> String {
        self.namespace
            .keyspace(FEATURE, "slow")
            .key(&format!("calls:{service}"))
    }

    /// The record of applied slow-call flushes.
    pub(crate) fn slow_applied(&self) -> String {
        self.namespace.keyspace(FEATURE, "slow").key("applied")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let keys = Keys::new(&Namespace::new("app"));
        assert_eq!(keys.data(Level::Hour, 7), "app:{stats:hour:7}:data");
        assert_eq!(
            keys.applied(Level::Minute, 7),
            "app:{stats:minute:7}:applied"
        );
        assert_eq!(keys.marks(), "app:{stats:rollup}:marks");
        assert_eq!(keys.slow_calls("a{b}"), "app:{stats:slow}:calls:a{b}");
    }
}
