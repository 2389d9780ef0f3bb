-- Merges one flush's aggregates into a minute bucket, at most once per flush.
--
-- KEYS[1]  the bucket's data hash
-- KEYS[2]  the bucket's applied-flushes hash (process id -> last sequence number)
-- ARGV[1]  process id          ARGV[2]  this flush's sequence number
-- ARGV[3]  expire at (Unix ms) ARGV[4]  usage of all services   ARGV[5]  their total time (ns)
-- then per service, six values: name, usage, total ns, min ns, max ns, histogram.
--
-- Sums go through HINCRBY, so they are exact 64-bit integers; min and max compare as Lua
-- numbers (exact below 2^53 ns, 104 days); histograms are "bucket:count" lists, added.

local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if last >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])

local function add_histogram(counts, text)
  for index, count in string.gmatch(text, '(%d+):(%d+)') do
    index = tonumber(index)
    counts[index] = (counts[index] or 0) + tonumber(count)
  end
end

local function merge_histograms(a, b)
  local counts = {}
  add_histogram(counts, a)
  add_histogram(counts, b)
  local indexes = {}
  for index in pairs(counts) do
    indexes[#indexes + 1] = index
  end
  table.sort(indexes)
  local out = {}
  for n, index in ipairs(indexes) do
    out[n] = string.format('%d:%d', index, counts[index])
  end
  return table.concat(out, ',')
end

local data = KEYS[1]
redis.call('HINCRBY', data, 'U', ARGV[4])
redis.call('HINCRBY', data, 'T', ARGV[5])
for i = 6, #ARGV, 6 do
  local service = ARGV[i]
  redis.call('HINCRBY', data, 'u:' .. service, ARGV[i + 1])
  redis.call('HINCRBY', data, 't:' .. service, ARGV[i + 2])
  local old = redis.call('HMGET', data, 'n:' .. service, 'x:' .. service, 'h:' .. service)
  local min, max, histogram = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  if old[1] and tonumber(old[1]) < tonumber(min) then min = old[1] end
  if old[2] and tonumber(old[2]) > tonumber(max) then max = old[2] end
  if old[3] then histogram = merge_histograms(old[3], histogram) end
  redis.call('HSET', data, 'n:' .. service, min, 'x:' .. service, max, 'h:' .. service, histogram)
end
redis.call('PEXPIREAT', data, ARGV[3])
return 1
