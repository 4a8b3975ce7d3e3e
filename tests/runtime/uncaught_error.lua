-- An uncaught error in any task prints the task, the message and a traceback, and ends the
-- program with status 1 (fail fast): other tasks do not keep running.
spawn(function() sleep(50) print("other task must not continue") end)
local function explode(what)
  error("cannot " .. what)
end
local worker = spawn(function() sleep(5) explode("continue") end)
worker:name("worker")
sleep(100)
print("main must not continue")
