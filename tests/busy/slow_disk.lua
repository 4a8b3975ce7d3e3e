-- Logs 300,000 lines into a FIFO nobody reads for a while (issue 14.5): the logging task must
-- wait for the writer instead of buffering everything. `tinn busy/slow_disk.lua FIFO`
local log = require("tinn.log")
local function peakKb()
  local f = assert(io.open("/proc/self/status"))
  local kb = tonumber(f:read("*a"):match("VmHWM:%s*(%d+)"))
  f:close()
  return kb
end
local before = peakKb()
print("ready")
local logger = assert(log.open(arg[1]))
local pad = string.rep("x", 100)
for i = 1, 300000 do
  logger:info("line %d %s", i, pad)
  if i % 100 == 0 then yield() end
end
assert(logger:close())
-- 300,000 lines of ~140 bytes are 42 MB; the buffer is bounded at 4 MiB
io.stderr:write(string.format("peak grew by %d KiB\n", peakKb() - before))
print(peakKb() - before < 16 * 1024 and "memory bounded" or "memory grew")
