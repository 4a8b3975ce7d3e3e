-- A 10 MB binary string (every byte value, NULs included) goes to a worker and back intact.
local worker = require("tinn.worker")

local parts = {}
for i = 0, 255 do parts[#parts + 1] = string.char(i) end
local block = table.concat(parts)
local big = block:rep(10 * 1024 * 1024 / #block)
assert(#big == 10 * 1024 * 1024, "10 MB")

local w = worker.spawn([[
  local worker = require("tinn.worker")
  local data = worker.receive()
  worker.post(data)                      -- echo it
  worker.post(data:reverse())            -- and a transformed copy
  return #data, data:byte(1), data:byte(-1)
]])
w:post(big)
local echoed = w:receive()
local reversed = w:receive()
print("echo equal", echoed == big)
print("reverse equal", reversed == big:reverse())
print("worker saw", w:join())
