//! [`Aggregate`]: what is known about one service in one bucket, and how buckets merge.
//!
//! In Redis a bucket is one hash (`...:{stats:<level>:<id>}:data`) with, per service `S`,
//! the fields `u:S` (usage), `t:S` (total time, ns), `n:S` (min, ns), `x:S` (max, ns) and
//! `h:S` (the histogram, see [`Histogram::encode`]), plus `U` and `T`: usage and total time
//! of all services together. Merging is exact: sums, min of mins, max of maxes, added
//! histograms.

use std::collections::HashMap;

use crate::hasher::FxBuildHasher;
use crate::histogram::Histogram;

/// The field of the all-services usage total (`lua/merge_bucket.lua` writes it too).
pub(crate) const ALL_USAGE: &str = "U";
/// The field of the all-services total time.
pub(crate) const ALL_TIME: &str = "T";

/// The statistics of one service in one bucket (or merged over several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Aggregate {
    pub(crate) usage: u64,
    pub(crate) total_ns: u64,
    pub(crate) min_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) histogram: Histogram,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate {
            usage: 0,
            total_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            histogram: Histogram::default(),
        }
    }
}

impl Aggregate {
    /// Counts one call.
    #[inline]
    pub(crate) fn record(&mut self, nanos: u64) {
        self.usage += 1;
        self.total_ns = self.total_ns.saturating_add(nanos);
        self.min_ns = self.min_ns.min(nanos);
        self.max_ns = self.max_ns.max(nanos);
        self.histogram.record(nanos);
    }

    /// Adds `other` to this aggregate.
    pub(crate) fn merge(&mut self, other: &Aggregate) {
        if other.usage == 0 {
            return;
        }
        self.usage += other.usage;
        self.total_ns = self.total_ns.saturating_add(other.total_ns);
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.histogram.merge(&other.histogram);
    }

    /// The exact minimum, or 0 when nothing was counted.
    pub(crate) fn min(&self) -> u64 {
        if self.usage == 0 {
            0
        } else {
            self.min_ns
        }
    }

    /// The mean: total time over usage, rounded to the nanosecond; 0 when nothing was counted.
    pub(crate) fn mean(&self) -> u64 {
        if self.usage == 0 {
            0
        } else {
            ((u128::from(self.total_ns) + u128::from(self.usage) / 2) / u128::from(self.usage))
                as u64
        }
    }

    /// A percentile estimate (see the histogram's error bound); 0 when nothing was counted.
    pub(crate) fn quantile(&self, quantile: f64) -> u64 {
        self.histogram
            .quantile(quantile, self.min(), self.max_ns)
            .unwrap_or(0)
    }

    /// The values of this service's five fields (`u`, `t`, `n`, `x`, `h`, in that order).
    pub(crate) fn values(&self) -> [String; 5] {
        [
            self.usage.to_string(),
            self.total_ns.to_string(),
            self.min().to_string(),
            self.max_ns.to_string(),
            self.histogram.encode(),
        ]
    }

    /// The five fields of this service in a bucket hash, as `(field, value)` pairs.
    pub(crate) fn fields(&self, service: &str) -> [(String, String); 5] {
        let [u, t, n, x, h] = self.values();
        [
            (format!("u:{service}"), u),
            (format!("t:{service}"), t),
            (format!("n:{service}"), n),
            (format!("x:{service}"), x),
            (format!("h:{service}"), h),
        ]
    }

    /// Reads one service's five field values (`u`, `t`, `n`, `x`, `h`, in that order; missing
    /// fields as `None`). `Err` names the field that does not parse.
    pub(crate) fn from_values(values: [Option<&str>; 5]) -> Result<Aggregate, &'static str> {
        let [usage, total, min, max, histogram] = values;
        let number = |value: Option<&str>, name: &'static str| match value {
            None => Ok(None),
            Some(text) => text.parse::<u64>().map(Some).map_err(|_| name),
        };
        let Some(usage) = number(usage, "usage")? else {
            return Ok(Aggregate::default());
        };
        Ok(Aggregate {
            usage,
            total_ns: number(total, "total time")?.unwrap_or(0),
            min_ns: number(min, "min")?.unwrap_or(u64::MAX),
            max_ns: number(max, "max")?.unwrap_or(0),
            histogram: match histogram {
                None => Histogram::default(),
                Some(text) => Histogram::decode(text).ok_or("histogram")?,
            },
        })
    }
}

/// A whole bucket: every service's aggregate and the all-services totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub(crate) services: HashMap<String, Aggregate>,
    pub(crate) all_usage: u64,
    pub(crate) all_time_ns: u64,
}

impl Bucket {
    /// Parses a bucket hash as HGETALL returns it. `Err` says which field is malformed.
    #[cfg(test)]
    pub(crate) fn from_hash(hash: &HashMap<String, String>) -> Result<Bucket, String> {
        let mut bucket = Bucket::default();
        bucket.absorb(hash)?;
        Ok(bucket)
    }

    /// Adds a bucket hash as HGETALL returns it into this bucket, in one pass over its
    /// fields (a query over a day of 1,000 services parses over 100,000 of them). `Err`
    /// says which field is malformed.
    pub(crate) fn absorb(&mut self, hash: &HashMap<String, String>) -> Result<(), String> {
        let total = |field: &str, value: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("field {field} is {value:?}"))
        };
        let mut services: HashMap<&str, [Option<&str>; 5], FxBuildHasher> =
            HashMap::with_capacity_and_hasher(hash.len() / 5 + 1, FxBuildHasher::default());
        for (field, value) in hash {
            let slot = match field.as_bytes() {
                [b'u', b':', ..] => 0,
                [b't', b':', ..] => 1,
                [b'n', b':', ..] => 2,
                [b'x', b':', ..] => 3,
                [b'h', b':', ..] => 4,
                _ => {
                    if field == ALL_USAGE {
                        self.all_usage += total(field, value)?;
                    } else if field == ALL_TIME {
                        self.all_time_ns = self.all_time_ns.saturating_add(total(field, value)?);
                    }
                    continue;
                }
            };
            services.entry(&field[2..]).or_default()[slot] = Some(value);
        }
        for (service, values) in services {
            let aggregate = Aggregate::from_values(values)
                .map_err(|what| format!("the {what} of service {service:?} is malformed"))?;
            if aggregate.usage == 0 {
                continue;
            }
            match self.services.get_mut(service) {
                Some(existing) => existing.merge(&aggregate),
                None => {
                    self.services.insert(service.to_owned(), aggregate);
                }
            }
        }
        Ok(())
    }

    /// The bucket as hash fields, for writing a rolled-up bucket.
    pub(crate) fn fields(&self) -> Vec<(String, String)> {
        let mut fields = Vec::with_capacity(self.services.len() * 5 + 2);
        fields.push((ALL_USAGE.to_owned(), self.all_usage.to_string()));
        fields.push((ALL_TIME.to_owned(), self.all_time_ns.to_string()));
        for (service, aggregate) in &self.services {
            fields.extend(aggregate.fields(service));
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(durations: &[u64]) -> Aggregate {
        let mut aggregate = Aggregate::default();
        for d in durations {
            aggregate.record(*d);
        }
        aggregate
    }

    #[test]
    fn merging_equals_recording_everything_at_once() {
        let mut merged = aggregate(&[5, 10, 300]);
        merged.merge(&aggregate(&[1, 7_000]));
        merged.merge(&Aggregate::default());
        assert_eq!(merged, aggregate(&[5, 10, 300, 1, 7_000]));
        assert_eq!((merged.min(), merged.max_ns, merged.usage), (1, 7_000, 5));
        assert_eq!(merged.mean(), 1463); // 7316 / 5 = 1463.2
    }

    #[test]
    fn a_bucket_survives_its_hash_form() {
        let mut bucket = Bucket::default();
        let a = aggregate(&[100, 200]);
        bucket.all_usage = 2;
        bucket.all_time_ns = 300;
        bucket.services.insert("svc:with:colons".into(), a);
        let hash: HashMap<String, String> = bucket.fields().into_iter().collect();
        assert_eq!(Bucket::from_hash(&hash).unwrap(), bucket);
    }

    #[test]
    fn malformed_fields_are_named() {
        let hash: HashMap<String, String> = [
            ("u:a".to_owned(), "1".to_owned()),
            ("t:a".into(), "x".into()),
        ]
        .into();
        let err = Bucket::from_hash(&hash).unwrap_err();
        assert!(err.contains("total time") && err.contains("\"a\""), "{err}");
    }
}
