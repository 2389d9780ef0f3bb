-- ARGV: tid. Returns {'ok', invalidation} or {'missing-translation', tid}.
local t, e1, e2 = load_full(ARGV[1])
if not t then return {'missing-translation', ARGV[1]} end
return {'ok', changed({remove_translation(t, e1, e2)})}
