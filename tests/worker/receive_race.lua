-- Two tasks receive from one worker: the main task with a 1 ms timeout, racing each message
-- the worker posts 1 ms after our ack; another task stays parked. Every message must reach one
-- of them, in order, none stranded. (The rarer interleaving where a timed-out receive had
-- already taken its message is pinned down by a unit test in crates/tinn-worker/src/port.rs.)
local worker = require("tinn.worker")

local ROUNDS = 200
local w = worker.spawn([[
  local worker = require("tinn.worker")
  for i = 1, ... do
    sleep(1)
    worker.post(i)
    assert(worker.receive() == i, "acknowledged")
  end
]], { args = ROUNDS })

local acked, byMain, byOther = 0, 0, 0
local function ack(i)
  assert(i == acked + 1, "in order")
  acked = i
  w:post(i)
end

spawn(function() -- always parked in receive
  while true do
    local i = w:receive()
    if i == nil then return end
    byOther = byOther + 1
    ack(i)
  end
end)

for round = 1, ROUNDS do
  local i = w:receive(1)
  if i then
    byMain = byMain + 1
    ack(i)
  elseif not waitFor(function() return acked >= round end, 5000) then
    print("message " .. round .. " was stranded")
    stop(1)
  end
end
print("all acknowledged", acked == ROUNDS, byMain + byOther == ROUNDS)
print("join", w:join())
