-- An uncaught error in any task prints the task, the message and a traceback, and ends the
-- program with status 1 (fail fast): other tasks do not keep running.
-- The worker fails on its second turn, with no timer involved: a stall of the machine cannot
-- let the other task's sleep end first.
spawn(function() sleep(50) print("other task must not continue") end)
local function explode(what)
  error("cannot " .. what)
end
local worker = spawn(function() yield() explode("continue") end)
worker:name("worker")
sleep(100)
print("main must not continue")
