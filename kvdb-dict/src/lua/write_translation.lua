-- Creates (ARGV[1] == '') or edits (ARGV[1] = tid) a translation.
-- ARGV[2..5]: the source as 'i', id | 't', system, key, value | 's' (keep the current source).
-- ARGV[6..9]: the target as 'i', id | 't', system, key, value | 'v', value (the current
-- target's system and key with another value).
-- Returns {'ok', tid, invalidation} or a refusal.
local tid = ARGV[1]
local current, c1, c2
if tid ~= '' then
  current, c1, c2 = load_full(tid)
  if not current then return {'missing-translation', tid} end
end

local function resolve(kind, a, b, c, keep)
  if kind == 'i' then return load_entry(a) end
  if kind == 't' then
    local id = redis.call('HGET', values_key(a, b), c)
    if not id then return nil end
    return {id = id, s = a, k = b, v = c}
  end
  if kind == 's' then return keep end
  if kind == 'v' and keep then
    local id = redis.call('HGET', values_key(keep.s, keep.k), a)
    if not id then return nil end
    return {id = id, s = keep.s, k = keep.k, v = a}
  end
  return nil
end

local e1 = resolve(ARGV[2], ARGV[3], ARGV[4], ARGV[5], c1)
if not e1 then return {'missing-source'} end
local e2 = resolve(ARGV[6], ARGV[7], ARGV[8], ARGV[9], c2)
if not e2 then
  if ARGV[6] == 'v' and c2 then return {'missing-target', c2.s, c2.k} end
  return {'missing-target'}
end
if e1.s == e2.s and e1.k == e2.k then return {'same-pair', e1.s, e1.k} end
local field = translation_field(e1, e2)
local existing = redis.call('HGET', LOOKUP, field)
if existing then
  local owner = owner_of(existing)
  if owner ~= tid then return {'duplicate-translation', owner} end
end

local fields = {}
if current then
  fields[#fields + 1] = remove_translation(current, c1, c2)
else
  repeat
    tid = string.format('%d', redis.call('INCR', LAST_TRANSLATION))
  until redis.call('HEXISTS', TRANSLATIONS, tid) == 0
end
redis.call('HSET', TRANSLATIONS, tid, e1.id .. ':' .. e2.id)
redis.call('HSET', LOOKUP, field, translation_payload(tid, e1, e2))
uses_add(e1.id, tid)
uses_add(e2.id, tid)
fields[#fields + 1] = field
return {'ok', tid, changed(fields)}
