//! Key namespaces and hash-tagged key spaces.

use std::borrow::Cow;
use std::fmt;

/// The prefix every kvdb key starts with, so that several applications (or tests) share one
/// server without touching each other's keys.
///
/// Feature crates never build keys by hand: they ask for a [`KeySpace`] for one instance of
/// a feature (one queue, one dictionary) and take keys from it. All keys of one key space
/// share one Redis Cluster hash tag, so multi-key scripts over them run on a cluster too.
///
/// ```
/// use kvdb_core::Namespace;
///
/// let ns = Namespace::new("app1");
/// let queue = ns.keyspace("broker", "orders");
/// assert_eq!(queue.key("stream"), "app1:{broker:orders}:stream");
/// assert_eq!(ns.key("plain"), "app1:plain");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    prefix: Cow<'static, str>,
}

static DEFAULT_NAMESPACE: Namespace = Namespace {
    prefix: Cow::Borrowed("kvdb"),
};

impl Namespace {
    /// A namespace with this prefix. Braces (which would break hash tags) and `%` are escaped.
    pub fn new(prefix: impl AsRef<str>) -> Self {
        Namespace {
            prefix: Cow::Owned(escape(prefix.as_ref())),
        }
    }

    /// The default namespace, `kvdb`.
    pub(crate) fn default_ref() -> &'static Namespace {
        &DEFAULT_NAMESPACE
    }

    /// The prefix, as it appears at the start of keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A key directly under the namespace: `prefix:name`. For keys that are not part of a
    /// multi-key operation.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{}", self.prefix, name)
    }

    /// The key space of one instance of a feature: every key in it shares the hash tag
    /// `{feature:instance}`. The instance name may hold any character.
    pub fn keyspace(&self, feature: &str, instance: &str) -> KeySpace {
        KeySpace {
            base: format!(
                "{}:{{{}:{}}}",
                self.prefix,
                escape(feature),
                escape(instance)
            ),
        }
    }
}

impl Default for Namespace {
    fn default() -> Self {
        DEFAULT_NAMESPACE.clone()
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Namespace").field(&self.prefix).finish()
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix)
    }
}

/// The keys of one feature instance, all under one hash tag. See [`Namespace::keyspace`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeySpace {
    base: String,
}

impl KeySpace {
    /// A key in this space: `prefix:{feature:instance}:suffix`.
    pub fn key(&self, suffix: &str) -> String {
        let mut key = String::with_capacity(self.base.len() + 1 + suffix.len());
        key.push_str(&self.base);
        key.push(':');
        key.push_str(suffix);
        key
    }

    /// The common start of every key in this space (`prefix:{feature:instance}`).
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// Escapes `%`, `{` and `}` so a name can never open or close a hash tag.
fn escape(name: &str) -> String {
    if !name.contains(['%', '{', '}']) {
        return name.to_owned();
    }
    name.replace('%', "%25")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_in_names_cannot_break_the_hash_tag() {
        let space = Namespace::new("ns").keyspace("dict", "a}b{c%");
        assert_eq!(space.key("k"), "ns:{dict:a%7Db%7Bc%25}:k");
    }

    #[test]
    fn default_prefix_is_kvdb() {
        assert_eq!(Namespace::default().key("x"), "kvdb:x");
    }
}
