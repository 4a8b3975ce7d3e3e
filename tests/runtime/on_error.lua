-- onError(fn) receives uncaught errors with the failed task; the program keeps running.
local seen = {}
onError(function(err, task)
  seen[#seen + 1] = task:id() .. " " .. task:status() .. " " .. tostring(err)
end)
spawn(function() error("first", 0) end)
spawn(function() sleep(5) error({ code = 42 }) end)
sleep(20)
print(seen[1])
print(seen[2]:match("^3 failed table:") ~= nil)
onError(nil) -- removes the handler
print("still running")
