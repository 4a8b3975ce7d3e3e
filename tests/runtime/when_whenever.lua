-- when runs fn once the predicate holds; whenever runs fn each time it turns true (edges only).
local flag, whenRuns, wheneverRuns = false, 0, 0
local once = when(function() return flag end, function() whenRuns = whenRuns + 1 return "when done" end)
local each = whenever(function() return flag end, function() wheneverRuns = wheneverRuns + 1 end)
for _ = 1, 3 do
  flag = true
  sleep(10) -- flag stays true for many rounds: whenever must still fire once per edge
  flag = false
  sleep(10)
end
print("when", whenRuns, once:join())
print("whenever", wheneverRuns, each:status())
each:cancel()
print("whenever", each:status())
