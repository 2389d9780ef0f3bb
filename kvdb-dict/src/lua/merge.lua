-- A merge import, run as a series of calls inside one MULTI/EXEC (so atomic as a whole):
-- ARGV[1] = 'entries' then system, key, value, ... : creates the entries that are missing;
-- ARGV[1] = 'translations' then system1, key1, value1, system2, key2, value2, ... : creates
--           the missing translations, and points existing ones (same source, target system
--           and key) at the document's target; the entries exist (the entry calls came first);
-- ARGV[1] = 'finish': tells caches to drop everything and returns the entry and
--           translation counts.
-- Returns {added, changed} (or the counts for 'finish').
local mode = ARGV[1]
if mode == 'finish' then
  redis.call('INCR', VERSION)
  redis.call('PUBLISH', CHANNEL, '*')
  return {redis.call('HLEN', ENTRIES), redis.call('HLEN', TRANSLATIONS)}
end
local added, changed_count = 0, 0
if mode == 'entries' then
  local indexed = {}
  for i = 2, #ARGV, 3 do
    local s, k, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    local id = redis.call('HGET', values_key(s, k), v)
    if not id then
      repeat
        id = string.format('%d', redis.call('INCR', LAST_ENTRY))
      until redis.call('HEXISTS', ENTRIES, id) == 0
      redis.call('HSET', ENTRIES, id, enc(s, k, v))
      redis.call('HSET', values_key(s, k), v, id)
      -- The key and system sets need one SADD per system and key per call, not per entry.
      local pair = enc(s, k)
      if not indexed[pair] then
        indexed[pair] = true
        redis.call('SADD', keys_key(s), k)
        redis.call('SADD', SYSTEMS, s)
      end
      added = added + 1
    end
  end
  return {added, 0}
end
local function find(s, k, v)
  local id = redis.call('HGET', values_key(s, k), v)
  if not id then return nil end
  return {id = id, s = s, k = k, v = v}
end
for i = 2, #ARGV, 6 do
  local e1 = find(ARGV[i], ARGV[i + 1], ARGV[i + 2])
  local e2 = find(ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
  if not e1 or not e2 then
    return redis.error_reply('ERR merge: a translation names an entry the document does not hold')
  end
  local field = translation_field(e1, e2)
  local existing = redis.call('HGET', LOOKUP, field)
  if existing then
    local tid, old2 = string.match(existing, '^(%d+):%d+:(%d+):')
    if old2 ~= e2.id then
      uses_remove(old2, tid)
      uses_add(e2.id, tid)
      redis.call('HSET', TRANSLATIONS, tid, e1.id .. ':' .. e2.id)
      redis.call('HSET', LOOKUP, field, translation_payload(tid, e1, e2))
      changed_count = changed_count + 1
    end
  else
    local tid
    repeat
      tid = string.format('%d', redis.call('INCR', LAST_TRANSLATION))
    until redis.call('HEXISTS', TRANSLATIONS, tid) == 0
    redis.call('HSET', TRANSLATIONS, tid, e1.id .. ':' .. e2.id)
    redis.call('HSET', LOOKUP, field, translation_payload(tid, e1, e2))
    uses_add(e1.id, tid)
    uses_add(e2.id, tid)
    added = added + 1
  end
end
return {added, changed_count}
