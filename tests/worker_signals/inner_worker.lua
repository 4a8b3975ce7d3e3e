-- The nested worker of join_nested.lua and stop_nested.lua: its exit hook writes
-- <dir>/inner.txt; it says "ready", then keeps busy (waking every 5 ms) until it is stopped.
local worker = require("tinn.worker")
local dir = ...
tinn.atExit(function()
  local file = assert(io.open(dir .. "/inner.txt", "w"))
  file:write("inner exit hook ran\n")
  file:close()
end)
worker.post("ready")
while true do sleep(5) end
