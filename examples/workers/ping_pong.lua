-- Ping-pong between the program and a worker thread (tinn.worker, docs/worker.md).
--
--   tinn examples/workers/ping_pong.lua
local worker = require("tinn.worker")

local ponger = worker.spawn([[
  local worker = require("tinn.worker")
  while true do
    local msg = worker.receive()
    if msg.done then return "pong worker served " .. msg.count .. " pings" end
    worker.post({ kind = "pong", n = msg.n })
  end
]], { name = "ponger" })

local count = 5
for n = 1, count do
  ponger:post({ kind = "ping", n = n })
  local reply = ponger:receive()
  print(string.format("ping %d -> %s %d", n, reply.kind, reply.n))
end
ponger:post({ done = true, count = count })
print(ponger:join())
