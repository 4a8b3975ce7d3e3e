-- stop() while a worker sleeps: it and the worker it started (nested) run their exit hooks,
-- which write <dir>/outer.txt and <dir>/inner.txt, before the process exits with status 3.
local worker = require("tinn.worker")
local dir = assert(..., "usage: stop_nested.lua <dir>")

local outer = worker.spawn([[
  local worker = require("tinn.worker")
  local dir = ...
  local function mark(name)
    tinn.atExit(function()
      local file = assert(io.open(dir .. "/" .. name .. ".txt", "w"))
      file:write(name, " exit hook ran\n")
      file:close()
    end)
  end
  mark("outer")
  local inner = worker.spawn("worker_signals/inner_worker.lua", { args = dir, name = "inner" })
  assert(inner:receive(5000) == "ready")
  worker.post("ready")
  sleep(100000)
]], { args = dir, name = "outer" })

assert(outer:receive(5000) == "ready")
print("stopping")
stop(3)
