-- Ctrl-C with a worker that never yields: QUIT cannot reach it, so tinn waits the grace period,
-- warns on stderr and exits 130 anyway.
local worker = require("tinn.worker")

local spinner = worker.spawn([[
  require("tinn.worker").post("ready")
  local x = 0
  while true do x = x + 1 end
]], { name = "spinner" })
assert(spinner:receive(5000) == "ready")
-- says the program is ending (exit hooks run before tinn waits for the workers): a handshake
-- for tests that signal again during the wait
tinn.atExit(function() print("stopping") io.stdout:flush() end)
print("ready")
io.stdout:flush()
sleep(60000)
