-- ARGV: id, cascade ('1' or '0'). Refuses to delete an entry that translations use unless
-- cascading. Returns {'ok', invalidation, deleted tid...}, {'in-use', described...} or a refusal.
local id, cascade = ARGV[1], ARGV[2] == '1'
local e = load_entry(id)
if not e then return {'missing-entry', id} end
local tids = uses_of(id)
if #tids > 0 and not cascade then
  local out = {'in-use'}
  for _, tid in ipairs(tids) do describe(out, tid) end
  return out
end
local doomed = {}
for _, tid in ipairs(tids) do
  local t, e1, e2 = load_full(tid)
  if not t then return {'corrupt', 'translation ' .. tid .. ' listed as using entry ' .. id .. ' is missing or broken'} end
  doomed[#doomed + 1] = {t, e1, e2}
end
local fields = {}
for _, d in ipairs(doomed) do fields[#fields + 1] = remove_translation(d[1], d[2], d[3]) end
unindex_entry(e)
redis.call('HDEL', ENTRIES, id)
redis.call('HDEL', USES, id)
local out = {'ok', changed(fields)}
for _, tid in ipairs(tids) do out[#out + 1] = tid end
return out
