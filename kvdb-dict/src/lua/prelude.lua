-- Shared by every kvdb-dict script. KEYS[1] is the dictionary's key-space base
-- (prefix:{dict:NAME}); every key below shares its hash tag, so the scripts run on a cluster.
-- The scripts check everything before their first write: Redis does not roll a script back.
local B = KEYS[1]
local ENTRIES = B .. ':entries'                  -- HASH id -> enc(system, key, value)
local SYSTEMS = B .. ':systems'                  -- SET of systems
local TRANSLATIONS = B .. ':translations'        -- HASH tid -> "id1:id2"
local LOOKUP = B .. ':lookup'                    -- HASH enc(s1, k1, v1, s2, k2) -> "tid:id1:id2:value2"
local USES = B .. ':uses'                        -- HASH id -> ",tid,tid," (translations using the entry)
local LAST_ENTRY = B .. ':last-entry-id'
local LAST_TRANSLATION = B .. ':last-translation-id'
local VERSION = B .. ':version'                  -- bumped by every change (merge imports WATCH it)
local CHANNEL = B .. ':changes'                  -- invalidation messages for caches

-- Each part as LEN:BYTES, so no character of a part can be taken for a separator.
local function enc(...)
  local parts = {...}
  local out = {}
  for i = 1, #parts do
    out[i] = #parts[i] .. ':' .. parts[i]
  end
  return table.concat(out)
end

local function dec(str)
  local parts = {}
  local pos = 1
  local len = #str
  while pos <= len do
    local colon = string.find(str, ':', pos, true)
    if not colon then return nil end
    local n = tonumber(string.sub(str, pos, colon - 1))
    if not n then return nil end
    parts[#parts + 1] = string.sub(str, colon + 1, colon + n)
    pos = colon + n + 1
  end
  return parts
end

local function keys_key(s) return B .. ':keys:' .. enc(s) end        -- SET of keys of a system
local function values_key(s, k) return B .. ':values:' .. enc(s, k) end -- HASH value -> id

local function load_entry(id)
  local raw = redis.call('HGET', ENTRIES, id)
  if not raw then return nil end
  local e = dec(raw)
  return {id = tostring(id), s = e[1], k = e[2], v = e[3]}
end

local function index_entry(e)
  redis.call('HSET', values_key(e.s, e.k), e.v, e.id)
  redis.call('SADD', keys_key(e.s), e.k)
  redis.call('SADD', SYSTEMS, e.s)
end

local function unindex_entry(e)
  local vk = values_key(e.s, e.k)
  redis.call('HDEL', vk, e.v)
  if redis.call('HLEN', vk) == 0 then
    local kk = keys_key(e.s)
    redis.call('SREM', kk, e.k)
    if redis.call('SCARD', kk) == 0 then
      redis.call('SREM', SYSTEMS, e.s)
    end
  end
end

local function uses_of(id)
  local tids = {}
  local raw = redis.call('HGET', USES, id)
  if raw then
    for tid in string.gmatch(raw, '%d+') do tids[#tids + 1] = tid end
  end
  return tids
end

local function uses_add(id, tid)
  local raw = redis.call('HGET', USES, id)
  redis.call('HSET', USES, id, (raw or ',') .. tid .. ',')
end

local function uses_remove(id, tid)
  local raw = redis.call('HGET', USES, id)
  if not raw then return end
  local rest = string.gsub(raw, ',' .. tid .. ',', ',', 1)
  if rest == ',' then
    redis.call('HDEL', USES, id)
  else
    redis.call('HSET', USES, id, rest)
  end
end

local function load_translation(tid)
  local raw = redis.call('HGET', TRANSLATIONS, tid)
  if not raw then return nil end
  local id1, id2 = string.match(raw, '^(%d+):(%d+)$')
  return {id = tostring(tid), id1 = id1, id2 = id2}
end

local function translation_field(e1, e2) return enc(e1.s, e1.k, e1.v, e2.s, e2.k) end
local function translation_payload(tid, e1, e2) return tid .. ':' .. e1.id .. ':' .. e2.id .. ':' .. e2.v end
local function owner_of(payload) return string.match(payload, '^(%d+):') end

-- A translation with both entries, or nil if the data is damaged.
local function load_full(tid)
  local t = load_translation(tid)
  if not t then return nil end
  local e1 = load_entry(t.id1)
  local e2 = load_entry(t.id2)
  if not e1 or not e2 then return nil end
  return t, e1, e2
end

-- Appends tid, id1, enc(s1, k1, v1), id2, enc(s2, k2, v2) to out.
local function describe(out, tid)
  local t, e1, e2 = load_full(tid)
  if not t then return end
  out[#out + 1] = t.id
  out[#out + 1] = e1.id
  out[#out + 1] = enc(e1.s, e1.k, e1.v)
  out[#out + 1] = e2.id
  out[#out + 1] = enc(e2.s, e2.k, e2.v)
end

-- Removes a translation and its index entries; returns its lookup field.
local function remove_translation(t, e1, e2)
  local field = translation_field(e1, e2)
  redis.call('HDEL', LOOKUP, field)
  redis.call('HDEL', TRANSLATIONS, t.id)
  uses_remove(t.id1, t.id)
  uses_remove(t.id2, t.id)
  return field
end

-- Records a change: bumps the version and tells caches which lookup fields changed.
local function changed(fields)
  redis.call('INCR', VERSION)
  if #fields == 0 then return '' end
  local out = {}
  for i = 1, #fields do out[i] = #fields[i] .. ':' .. fields[i] end
  local message = table.concat(out)
  redis.call('PUBLISH', CHANNEL, message)
  return message
end
