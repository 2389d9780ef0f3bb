-- ARGV: id, system, key, value. The translations using the entry keep pointing at it: their
-- lookup fields (and, where the entry is the target, their values) are rewritten.
-- Returns {'ok', invalidation} or a refusal.
local id, s, k, v = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local old = load_entry(id)
if not old then return {'missing-entry', id} end
if old.s == s and old.k == k and old.v == v then return {'ok', ''} end
local other = redis.call('HGET', values_key(s, k), v)
if other and other ~= id then return {'duplicate-entry', other} end
local new = {id = id, s = s, k = k, v = v}

local plans = {}
local affected = {}
for _, tid in ipairs(uses_of(id)) do
  local t, o1, o2 = load_full(tid)
  if not t then return {'corrupt', 'translation ' .. tid .. ' listed as using entry ' .. id .. ' is missing or broken'} end
  local n1, n2 = o1, o2
  if t.id1 == id then n1 = new end
  if t.id2 == id then n2 = new end
  if n1.s == n2.s and n1.k == n2.k then return {'same-pair', n1.s, n1.k} end
  plans[#plans + 1] = {old = translation_field(o1, o2), new = translation_field(n1, n2),
                       payload = translation_payload(tid, n1, n2)}
  affected[tid] = true
end
for _, p in ipairs(plans) do
  local current = redis.call('HGET', LOOKUP, p.new)
  if current then
    local owner = owner_of(current)
    if not affected[owner] then return {'duplicate-translation', owner} end
  end
end

local fields = {}
for _, p in ipairs(plans) do
  redis.call('HDEL', LOOKUP, p.old)
  fields[#fields + 1] = p.old
end
for _, p in ipairs(plans) do
  redis.call('HSET', LOOKUP, p.new, p.payload)
  fields[#fields + 1] = p.new
end
unindex_entry(old)
redis.call('HSET', ENTRIES, id, enc(s, k, v))
index_entry(new)
return {'ok', changed(fields)}
