-- Deletes every key of the dictionary (the id counters excepted) and tells caches to drop
-- everything. Finds the per-system and per-key indexes through the index and through the
-- entries themselves, so a damaged index leaves nothing behind either. Imports run it
-- inside their MULTI/EXEC, so it is written to work with EVAL as well as EVALSHA.
local doomed = {}
for _, s in ipairs(redis.call('SMEMBERS', SYSTEMS)) do
  local kk = keys_key(s)
  doomed[kk] = true
  for _, k in ipairs(redis.call('SMEMBERS', kk)) do doomed[values_key(s, k)] = true end
end
local all = redis.call('HVALS', ENTRIES)
for i = 1, #all do
  local e = dec(all[i])
  if e and #e == 3 then
    doomed[keys_key(e[1])] = true
    doomed[values_key(e[1], e[2])] = true
  end
end
for key in pairs(doomed) do redis.call('DEL', key) end
redis.call('DEL', SYSTEMS, ENTRIES, TRANSLATIONS, LOOKUP, USES)
redis.call('INCR', VERSION)
redis.call('PUBLISH', CHANNEL, '*')
return 'ok'
