//! [`Call`]: a call to record with its details, and [`SlowCall`]: a slow call as kept.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::range::unix_millis;

/// One call of a service, with the details kept if it turns out slow. For calls without
/// details, [`Stats::record`](crate::Stats::record) is shorter.
///
/// ```
/// use std::time::Duration;
/// use kvdb_stats::Call;
///
/// let call = Call::new("billing.invoice", Duration::from_millis(1500))
///     .id("cid-1234")
///     .request("{\"customer\": 42}")
///     .response("{\"ok\": true}");
/// # let _ = call;
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Call<'a> {
    /// The service's name.
    pub service: &'a str,
    /// How long the call took.
    pub duration: Duration,
    /// The call's id (correlation id), if it has one.
    pub id: Option<&'a str>,
    /// When the request arrived; default: the recording time minus the duration.
    pub started_at: Option<SystemTime>,
    /// The request, kept (truncated) with a slow call.
    pub request: Option<&'a str>,
    /// The response, kept (truncated) with a slow call.
    pub response: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// A call of `service` that took `duration`.
    pub fn new(service: &'a str, duration: Duration) -> Call<'a> {
        Call {
            service,
            duration,
            id: None,
            started_at: None,
            request: None,
            response: None,
        }
    }

    /// Sets the call's id.
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets when the request arrived.
    pub fn started_at(mut self, at: SystemTime) -> Self {
        self.started_at = Some(at);
        self
    }

    /// Sets the request sample.
    pub fn request(mut self, request: &'a str) -> Self {
        self.request = Some(request);
        self
    }

    /// Sets the response sample.
    pub fn response(mut self, response: &'a str) -> Self {
        self.response = Some(response);
        self
    }
}

/// A slow call as kept in its service's list (most recent first in
/// [`Stats::slow_calls`](crate::Stats::slow_calls)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlowCall {
    /// The call's id, if it was recorded with one.
    pub id: Option<String>,
    /// How long the call took, in nanoseconds.
    pub duration_ns: u64,
    /// The threshold it exceeded, in nanoseconds.
    pub threshold_ns: u64,
    /// When the request arrived, in Unix milliseconds.
    pub request_at_ms: u64,
    /// When the response was sent (the call was recorded), in Unix milliseconds.
    pub response_at_ms: u64,
    /// The request sample, at most `sample_max_bytes` long.
    pub request: Option<String>,
    /// The response sample, at most `sample_max_bytes` long.
    pub response: Option<String>,
    /// Whether a sample was cut to fit.
    pub truncated: bool,
}

impl SlowCall {
    /// The slow call of `call`, recorded at `now`.
    pub(crate) fn of(
        call: &Call<'_>,
        now: SystemTime,
        threshold_ns: u64,
        max_bytes: usize,
    ) -> Self {
        let started = call
            .started_at
            .unwrap_or_else(|| now.checked_sub(call.duration).unwrap_or(now));
        let mut truncated = false;
        let mut sample = |text: Option<&str>| {
            text.map(|text| {
                let cut = floor_char_boundary(text, max_bytes);
                truncated |= cut < text.len();
                text[..cut].to_owned()
            })
        };
        SlowCall {
            id: call.id.map(str::to_owned),
            duration_ns: nanos(call.duration),
            threshold_ns,
            request_at_ms: unix_millis(started),
            response_at_ms: unix_millis(now),
            request: sample(call.request),
            response: sample(call.response),
            truncated,
        }
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
#[inline]
pub(crate) fn nanos(duration: Duration) -> u64 {
    duration.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// The largest index `<= max` that is a char boundary of `text`.
fn floor_char_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn samples_are_cut_on_char_boundaries() {
        let now = UNIX_EPOCH + Duration::from_secs(100);
        let call = Call::new("s", Duration::from_secs(2))
            .request("żółw-żółw")
            .response("ok");
        let slow = SlowCall::of(&call, now, 1, 4);
        assert_eq!(slow.request.as_deref(), Some("żó"));
        assert_eq!(slow.response.as_deref(), Some("ok"));
        assert!(slow.truncated);
        assert_eq!((slow.request_at_ms, slow.response_at_ms), (98_000, 100_000));
        let whole = SlowCall::of(&call, now, 1, 100);
        assert!(!whole.truncated);
    }
}
