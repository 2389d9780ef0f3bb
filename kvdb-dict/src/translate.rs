//! Translate: one HGET (or one HMGET for a batch), or no round trip at all from the cache.

use kvdb_core::redis::{self, Value};

use crate::cache::Lookup;
use crate::dict::{bytes, unexpected};
use crate::encoding::{decode_payload, lookup_field, with_lookup_field};
use crate::{Dict, Error, Result, Translated, TranslationKey};

impl Dict {
    /// What `value1` of `system1`/`key1` is in `system2`/`key2`, with the ids involved, or
    /// `None` when no translation says.
    ///
    /// Without a cache: exactly one `HGET` on the dictionary's lookup hash. With one: no
    /// round trip when the answer (or the absence of one) is held. Arguments are not
    /// validated: a question no entry could match simply has no answer.
    pub async fn translate(
        &self,
        system1: &str,
        key1: &str,
        value1: &str,
        system2: &str,
        key2: &str,
    ) -> Result<Option<Translated>> {
        let parts = [system1, key1, value1, system2, key2];
        let seen = match self.cache() {
            Some(cache) => match with_lookup_field(parts, |field| cache.lookup(field)) {
                Lookup::Hit(answer) => return Ok(answer),
                Lookup::Miss(generation) => Some(generation),
                Lookup::Off => None,
            },
            None => None,
        };
        let Some(seen) = seen else {
            // No cache: the field goes straight into the command, with no copy of its own.
            let mut cmd = redis::cmd("HGET");
            cmd.arg(&self.names().lookup);
            with_lookup_field(parts, |field| cmd.arg(field));
            return answer(&self.store().req_command(&cmd).await?);
        };
        let field = lookup_field(parts);
        let answer = self.fetch(&field).await?;
        if let Some(cache) = self.cache() {
            cache.insert(&field, answer.clone(), seen);
        }
        Ok(answer)
    }

    /// [`translate`](Self::translate) for a question encoded once.
    pub async fn translate_key(&self, key: &TranslationKey) -> Result<Option<Translated>> {
        let seen = match self.cache().map(|cache| cache.lookup(key.field())) {
            Some(Lookup::Hit(answer)) => return Ok(answer),
            Some(Lookup::Miss(generation)) => Some(generation),
            Some(Lookup::Off) | None => None,
        };
        let answer = self.fetch(key.field()).await?;
        if let (Some(cache), Some(seen)) = (self.cache(), seen) {
            cache.insert(key.field(), answer.clone(), seen);
        }
        Ok(answer)
    }

    /// The cache's answer alone, with no round trip: `Some(answer)` when the cache holds it
    /// (`Some(None)`: known to have no translation), `None` when it does not (or there is
    /// no cache). Synchronous and allocation-free apart from sharing the answer.
    pub fn cached_translation(
        &self,
        system1: &str,
        key1: &str,
        value1: &str,
        system2: &str,
        key2: &str,
    ) -> Option<Option<Translated>> {
        let cache = self.cache()?;
        match with_lookup_field([system1, key1, value1, system2, key2], |f| cache.lookup(f)) {
            Lookup::Hit(answer) => Some(answer),
            Lookup::Miss(_) | Lookup::Off => None,
        }
    }

    /// Answers many questions in one round trip (one `HMGET`), in order. With a cache, only
    /// the questions it cannot answer go to the server, and none at all when it answers all.
    pub async fn translate_many(&self, keys: &[TranslationKey]) -> Result<Vec<Option<Translated>>> {
        let mut answers: Vec<Option<Translated>> = vec![None; keys.len()];
        let mut missing: Vec<usize> = Vec::new();
        let mut seen: Option<u64> = None;
        match self.cache() {
            Some(cache) => {
                for (i, key) in keys.iter().enumerate() {
                    match cache.lookup(key.field()) {
                        Lookup::Hit(answer) => answers[i] = answer,
                        Lookup::Miss(generation) => {
                            // The first generation read is the oldest: if anything arrived
                            // after it, nothing from this read is stored.
                            seen.get_or_insert(generation);
                            missing.push(i);
                        }
                        Lookup::Off => missing.push(i),
                    }
                }
            }
            None => missing.extend(0..keys.len()),
        }
        if missing.is_empty() {
            return Ok(answers);
        }
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(&self.names().lookup);
        for &i in &missing {
            cmd.arg(keys[i].field());
        }
        let Value::Array(replies) = self.store().req_command(&cmd).await? else {
            return Err(Error::Corrupt(String::from(
                "HMGET did not return an array",
            )));
        };
        if replies.len() != missing.len() {
            return Err(Error::Corrupt(format!(
                "HMGET returned {} replies for {} fields",
                replies.len(),
                missing.len()
            )));
        }
        for (&i, reply) in missing.iter().zip(&replies) {
            let answer = answer(reply)?;
            if let (Some(cache), Some(seen)) = (self.cache(), seen) {
                cache.insert(keys[i].field(), answer.clone(), seen);
            }
            answers[i] = answer;
        }
        Ok(answers)
    }

    async fn fetch(&self, field: &[u8]) -> Result<Option<Translated>> {
        let mut cmd = redis::cmd("HGET");
        cmd.arg(&self.names().lookup).arg(field);
        answer(&self.store().req_command(&cmd).await?)
    }
}

fn answer(reply: &Value) -> Result<Option<Translated>> {
    if let Value::Nil = reply {
        return Ok(None);
    }
    bytes(reply)
        .and_then(decode_payload)
        .map(Some)
        .ok_or_else(|| unexpected(reply))
}
