-- Reads translations with their entries, consistently.
-- ARGV: 'translation', tid | 'uses', entry id. Returns described translations (5 items each).
local out = {}
if ARGV[1] == 'translation' then
  describe(out, ARGV[2])
else
  for _, tid in ipairs(uses_of(ARGV[2])) do describe(out, tid) end
end
return out
