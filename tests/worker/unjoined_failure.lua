-- Issue 15.4: a worker that fails while nobody joins it fails the program fast, as a task does.
local worker = require("tinn.worker")
tinn.atExit(function() print("exit hook ran") end)
worker.spawn('local function inner() error("boom") end inner()', { name = "failing" })
print("parent sleeps")
sleep(5000)
print("not reached")
