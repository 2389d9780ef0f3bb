//! The Lua scripts behind every multi-key step, so that each step is atomic.
//!
//! All keys a script touches belong to one queue or one topic, so they share one hash tag.
//! No script `unpack`s an unbounded list: loops handle lists of any length, and the callers
//! cut id lists into chunks of at most [`ACK_CHUNK`].

use std::sync::LazyLock;

use kvdb_core::Script;

/// The most ids one acknowledgement script takes (far below Lua's `unpack` limit of ~8,000).
pub(crate) const ACK_CHUNK: usize = 1000;

/// Acknowledges a batch of handled entries, then trims the stream below the oldest entry
/// still pending (or, with nothing pending, up to the last one delivered): so the stream holds
/// only waiting and in-flight messages, at the cost of one trim per batch rather than one
/// deletion per message. Trimming below a pending entry removes whole stream nodes only (`~`);
/// with nothing pending it is exact, and the stream is left with the undelivered messages.
/// KEYS: stream, stats. ARGV: group, id...
pub(crate) static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
if n > 0 then redis.call('HINCRBY', KEYS[2], 'acked', n) end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
if pending[1] > 0 then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', pending[2])
else
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1]
      elseif group[i] == 'last-delivered-id' then last = group[i + 1] end
    end
    if name == ARGV[1] and last then
      local ms, seq = string.match(last, '^(%d+)-(%d+)$')
      if ms then
        redis.call('XTRIM', KEYS[1], 'MINID', ms .. '-' .. string.format('%.0f', tonumber(seq) + 1))
      end
    end
  end
end
return n
",
    )
});

/// Settles one delivery that did not end in success, if it is still pending (a worker that
/// lost it to a redelivery finds it settled and does nothing).
/// KEYS: stream, delayed, dead, stats. ARGV: group, id, action, then per action:
/// - `retry`: due time, delayed-set member, counter to increment (or '').
/// - `dead`: cap, kind, reason, attempts, at, extra counter (or ''), original fields...
/// - `drop`: counter to increment (or '').
pub(crate) static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local action = ARGV[3]
if action == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
  if ARGV[6] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[6], 1) end
elseif action == 'dead' then
  local args = {'XADD', KEYS[3], 'MAXLEN', ARGV[4], '*', 'kind', ARGV[5], 'reason', ARGV[6],
    'attempts', ARGV[7], 'at', ARGV[8]}
  for i = 10, #ARGV do args[#args + 1] = ARGV[i] end
  redis.call(unpack(args))
  redis.call('HINCRBY', KEYS[4], 'dead_lettered', 1)
  if ARGV[9] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[9], 1) end
elseif action == 'drop' then
  if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
end
return 1
",
    )
});

/// Moves delayed messages that are due onto the stream, oldest first. Due means strictly
/// before `now`: times are whole milliseconds, so a message due at `t` may only move once the
/// clock reads `t + 1`, never early.
/// KEYS: delayed, stream. ARGV: now (ms), limit.
/// Returns {moved, next due time or -1}.
pub(crate) static PROMOTE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'd', member)
  redis.call('ZREM', KEYS[1], member)
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {#due, tonumber(nxt[2] or '-1')}
",
    )
});

/// Takes over entries left pending longer than the visibility timeout (their worker died or
/// hangs) and puts each back on the stream as its next attempt, or dead-letters it once the
/// attempts are used up.
/// KEYS: stream, dead, stats. ARGV: group, consumer, min idle (ms), count, max attempts,
/// dead-letter cap, now, reason, start cursor.
/// Returns {next cursor, requeued, dead-lettered}.
pub(crate) static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[9], 'COUNT', ARGV[4])
local requeued, dead = 0, 0
for _, e in ipairs(r[2]) do
  local id, f = e[1], e[2]
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  if type(f) == 'table' then
    local d
    for i = 1, #f, 2 do
      if f[i] == 'd' then d = f[i + 1]; break end
    end
    local nl = d and string.find(d, '\n', 1, true)
    local attempt = nl and tonumber(string.sub(d, 1, nl - 1))
    if attempt and attempt < tonumber(ARGV[5]) then
      redis.call('XADD', KEYS[1], '*', 'd', tostring(attempt + 1) .. string.sub(d, nl))
      redis.call('HINCRBY', KEYS[3], 'retried', 1)
      requeued = requeued + 1
    else
      local kind, reason = 'abandoned', ARGV[8]
      if not attempt then
        kind, reason = 'malformed', 'entry is not a broker message, and the worker that read it stopped'
      end
      local args = {'XADD', KEYS[2], 'MAXLEN', ARGV[6], '*', 'kind', kind, 'reason', reason,
        'attempts', tostring(attempt or 0), 'at', ARGV[7]}
      for i = 1, #f do args[#args + 1] = f[i] end
      redis.call(unpack(args))
      redis.call('HINCRBY', KEYS[3], 'dead_lettered', 1)
      dead = dead + 1
    end
  end
end
return {r[1], requeued, dead}
",
    )
});

/// Fans a publication out to every durable subscription of a topic, and publishes it on the
/// topic's channel for ephemeral listeners.
/// KEYS: the topic's subscription set. ARGV: subscription key prefix, packed message,
/// channel, envelope JSON. Returns {subscriptions, listeners}.
pub(crate) static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local subs = redis.call('SMEMBERS', KEYS[1])
for _, s in ipairs(subs) do
  redis.call('XADD', ARGV[1] .. s .. ':stream', '*', 'd', ARGV[2])
  redis.call('HINCRBY', ARGV[1] .. s .. ':stats', 'sent', 1)
end
local listeners = redis.call('PUBLISH', ARGV[3], ARGV[4])
return {#subs, listeners}
",
    )
});

/// Moves dead letters back onto the stream, if they are still there.
/// KEYS: dead, stream, stats. ARGV: pairs of dead-letter id and packed message.
pub(crate) static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[2], '*', 'd', ARGV[i + 1])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[3], 'requeued', n) end
return n
",
    )
});

/// Removes consumers that hold nothing and have been idle longer than a limit: the names
/// left behind by workers that crashed. ARGV[3], when set, names one consumer to remove if
/// it holds nothing, whatever its idle time (a worker leaving gracefully).
/// KEYS: stream. ARGV: group, idle limit (ms), consumer or ''. Returns how many went.
pub(crate) static FORGET_CONSUMERS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1]
    elseif c[i] == 'pending' then pending = c[i + 1]
    elseif c[i] == 'idle' then idle = c[i + 1] end
  end
  if pending == 0 and (name == ARGV[3] or idle > tonumber(ARGV[2])) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed
",
    )
});
