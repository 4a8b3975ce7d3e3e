-- A predicate that raises fails only the task waiting on it, with the error reported; other
-- tasks, and other predicates, keep going.
local errors = {}
onError(function(err, task) errors[#errors + 1] = task:id() .. ": " .. tostring(err) end)
local n = 0
local bad = spawn(function()
  waitFor(function()
    n = n + 1
    if n == 3 then error("predicate broke", 0) end
  end)
end)
local goodDone = false
spawn(function() waitFor(function() return n >= 5 end) goodDone = true end)
spawn(function() for _ = 1, 10 do yield() end n = n + 10 end)
waitFor(function() return goodDone end)
print(bad:status(), errors[1])
