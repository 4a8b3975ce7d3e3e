-- quit() on a worker whose own worker is busy: join returns once both have ended, so the inner
-- worker's exit hook has run (its file exists) by then.
local worker = require("tinn.worker")
local dir = assert(..., "usage: join_nested.lua <dir>")

local outer = worker.spawn([[
  local worker = require("tinn.worker")
  local inner = worker.spawn("worker_signals/inner_worker.lua", { args = ..., name = "inner" })
  assert(inner:receive(5000) == "ready")
  worker.post("ready")
  sleep(100000)
]], { args = dir, name = "outer" })

assert(outer:receive(5000) == "ready")
outer:quit()
print("join", select("#", outer:join(5000)), outer:status())
local file = io.open(dir .. "/inner.txt")
print("inner file", file and file:read("a") or "missing")
if file then file:close() end
