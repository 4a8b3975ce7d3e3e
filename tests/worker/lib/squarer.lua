-- A worker for fan_out.lua: squares jobs until told "done"; returns how many it handled.
local worker = require("tinn.worker")
local scale = worker.args.scale
assert(arg[0] == "worker/lib/squarer.lua", "arg[0] is the worker's script")
local handled = 0
while true do
  local msg = worker.receive()
  if msg == "done" then break end
  handled = handled + 1
  worker.post({ job = msg.job, value = msg.job * msg.job * scale })
end
return handled, worker.id
