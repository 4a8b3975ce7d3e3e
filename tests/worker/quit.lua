-- quit() is the signal "QUIT" in the worker: with nobody waiting for it the worker shuts down
-- cleanly (tasks cancelled, exit hooks run, status 0); a task waiting for it can clean up.
local worker = require("tinn.worker")

-- waiting on receive
local receiver = worker.spawn([[
  local worker = require("tinn.worker")
  tinn.atExit(function() io.stdout:write("receiver: exit hook ran\n") end)
  worker.receive()
  error("not reached")
]])
sleep(20)
print("receiver before quit", receiver:status())
-- the worker prints from its own thread, so print only once it has ended
local delivered = receiver:quit()
local results = select("#", receiver:join())
print("quit delivered", delivered)
print("receiver join", results, receiver:status())
print("quit after end", receiver:quit())

-- sleeping, with other tasks alive
local sleeper = worker.spawn([[
  spawn(function() sleep(100000) end)
  sleep(100000)
]])
sleep(20)
sleeper:quit()
local t0 = tinn.now()
print("sleeper join", select("#", sleeper:join()), sleeper:status(), tinn.now() - t0 < 1000)

-- a worker that handles QUIT itself and returns a value
local polite = worker.spawn([[
  local worker = require("tinn.worker")
  local received = 0
  spawn(function()
    while true do
      local msg = worker.receive()
      received = received + 1
    end
  end)
  waitSignal("QUIT")
  stop() -- the receiving task would keep the worker alive; stop() ends it after this return
  return "cleaned up", received
]])
polite:post("a")
polite:post("b")
sleep(20)
polite:quit()
print("polite join", polite:join())

-- quit before the worker even reached its wait
local early = worker.spawn("sleep(50) require('tinn.worker').receive()")
early:quit()
print("early join", select("#", early:join()), early:status())
