-- Everything the dictionary holds, in one consistent read, for Dict::verify.
-- Returns {entries, translations, lookup, uses, systems, {system, keys}..., {system, key, values}...,
-- last entry id, last translation id}.
local entries = redis.call('HGETALL', ENTRIES)
local systems = redis.call('SMEMBERS', SYSTEMS)
local seen_systems, system_list = {}, {}
local seen_pairs, pair_list = {}, {}
local function add_system(s)
  if not seen_systems[s] then seen_systems[s] = true; system_list[#system_list + 1] = s end
end
local function add_pair(s, k)
  local p = enc(s, k)
  if not seen_pairs[p] then seen_pairs[p] = true; pair_list[#pair_list + 1] = {s, k} end
end
for _, s in ipairs(systems) do add_system(s) end
for i = 2, #entries, 2 do
  local e = dec(entries[i])
  if e and #e == 3 then add_system(e[1]); add_pair(e[1], e[2]) end
end
local keys_out = {}
for _, s in ipairs(system_list) do
  local keys = redis.call('SMEMBERS', keys_key(s))
  keys_out[#keys_out + 1] = s
  keys_out[#keys_out + 1] = keys
  for _, k in ipairs(keys) do add_pair(s, k) end
end
local values_out = {}
for _, p in ipairs(pair_list) do
  values_out[#values_out + 1] = p[1]
  values_out[#values_out + 1] = p[2]
  values_out[#values_out + 1] = redis.call('HGETALL', values_key(p[1], p[2]))
end
return {entries, redis.call('HGETALL', TRANSLATIONS), redis.call('HGETALL', LOOKUP),
        redis.call('HGETALL', USES), systems, keys_out, values_out,
        redis.call('GET', LAST_ENTRY) or '', redis.call('GET', LAST_TRANSLATION) or ''}
