-- Ctrl-C with two logging workers: the test sends SIGINT once "ready" is printed, then checks
-- that both workers' log files hold their lines up to the last one (tinn exits 130).
local worker = require("tinn.worker")
local dir = assert(..., "usage: ctrl_c.lua <dir>")

local workers = {}
for index = 1, 2 do
  workers[index] = worker.spawn("worker_signals/logging_worker.lua",
    { args = { dir = dir, index = index }, name = "logger " .. index })
end
for index = 1, 2 do assert(workers[index]:receive(5000) == "ready") end
print("ready")
io.stdout:flush()
sleep(60000)
print("not reached")
