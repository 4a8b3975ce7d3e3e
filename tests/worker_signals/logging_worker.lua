-- A worker that logs a line every few ms into <dir>/worker<index>.log. flushMs is a minute, so
-- nothing reaches the file unless the worker's exit hooks run (tinn.log flushes in one).
-- Worker 1 writes its last line in an exit hook, worker 2 in a task waiting for QUIT.
local worker = require("tinn.worker")
local log = require("tinn.log")

local dir, index = worker.args.dir, worker.args.index
local logger = assert(log.open(dir .. "/worker" .. index .. ".log", { flushMs = 60000 }))
logger:info("worker %d started", index)

if index == 1 then
  -- Registered after require("tinn.log"), so it runs before the log's own flush hook.
  tinn.atExit(function() logger:info("worker %d exit hook", index) end)
else
  spawn(function()
    waitSignal("QUIT")
    logger:info("worker %d got QUIT", index)
    stop(0) -- the logging loop would keep the worker alive
  end)
end

worker.post("ready")
local n = 0
while true do
  n = n + 1
  logger:info("worker %d tick %d", index, n)
  sleep(5)
end
