-- ARGV: system, key, value. Returns {'ok', id} or {'duplicate-entry', id}.
local s, k, v = ARGV[1], ARGV[2], ARGV[3]
local existing = redis.call('HGET', values_key(s, k), v)
if existing then return {'duplicate-entry', existing} end
local id
repeat
  id = string.format('%d', redis.call('INCR', LAST_ENTRY))
until redis.call('HEXISTS', ENTRIES, id) == 0
redis.call('HSET', ENTRIES, id, enc(s, k, v))
index_entry({id = id, s = s, k = k, v = v})
changed({})
return {'ok', id}
