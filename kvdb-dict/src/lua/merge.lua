-- A merge import, run as a series of calls inside one MULTI/EXEC (so atomic as a whole):
-- ARGV[1] = 'entries' then doc id, system, key, value, ... : matches entries by their parts,
--           creates the missing ones, and records doc id -> id in a scratch hash;
-- ARGV[1] = 'translations' then source doc id, target doc id, ... : creates the missing
--           translations, and points existing ones (same source, target system and key) at
--           the document's target;
-- ARGV[1] = 'finish': drops the scratch hash, tells caches to drop everything, and returns
--           the entry and translation counts.
-- Returns {added, changed} (or the counts for 'finish').
local MAP = B .. ':merge-ids'
local mode = ARGV[1]
if mode == 'finish' then
  redis.call('DEL', MAP)
  redis.call('INCR', VERSION)
  redis.call('PUBLISH', CHANNEL, '*')
  return {redis.call('HLEN', ENTRIES), redis.call('HLEN', TRANSLATIONS)}
end
local added, changed_count = 0, 0
if mode == 'entries' then
  for i = 2, #ARGV, 4 do
    local s, k, v = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local id = redis.call('HGET', values_key(s, k), v)
    if not id then
      repeat
        id = string.format('%d', redis.call('INCR', LAST_ENTRY))
      until redis.call('HEXISTS', ENTRIES, id) == 0
      redis.call('HSET', ENTRIES, id, enc(s, k, v))
      index_entry({id = id, s = s, k = k, v = v})
      added = added + 1
    end
    redis.call('HSET', MAP, ARGV[i], id)
  end
  return {added, 0}
end
for i = 2, #ARGV, 2 do
  local e1 = load_entry(redis.call('HGET', MAP, ARGV[i]) or '0')
  local e2 = load_entry(redis.call('HGET', MAP, ARGV[i + 1]) or '0')
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
