-- Pushes one flush's slow calls onto their services' lists, at most once per flush.
--
-- KEYS[1]  the applied-flushes hash (process id -> last sequence number)
-- KEYS[2..] one list per service
-- ARGV[1]  process id   ARGV[2]  this flush's sequence number
-- ARGV[3]  how many calls a list keeps   ARGV[4]  lists' time to live (ms)
-- then per list: how many calls follow, then the calls (JSON), oldest first.

local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if last >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])

local keep = tonumber(ARGV[3])
local at = 5
for k = 2, #KEYS do
  local count = tonumber(ARGV[at])
  at = at + 1
  for _ = 1, count do
    redis.call('LPUSH', KEYS[k], ARGV[at])
    at = at + 1
  end
  redis.call('LTRIM', KEYS[k], 0, keep - 1)
  redis.call('PEXPIRE', KEYS[k], ARGV[4])
end
return 1
