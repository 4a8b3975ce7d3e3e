-- Logs in a loop that only ever yields (issue 14.5): the writer must keep up meanwhile, so a
-- kill -9 finds the lines on disk. `tinn busy/log_yield.lua LOG`
local log = require("tinn.log")
local logger = assert(log.open(arg[1]))
local i = 0
while true do
  i = i + 1
  logger:info("line %d", i)
  if i == 1000 then print("ready") end
  if i % 2 == 0 then yield() else sleep(0) end
end
