-- log.open and logger:flush()/close() take timeouts. FIFOs stand in for a stuck disk:
-- opening one waits for a reader, writing waits once the pipe is full. Each stuck call is
-- released afterwards: the open by a "r+" handle (it opens at once on Linux and counts as a
-- reader) held until the end, in case the thread pool starts the stuck job late; the writes
-- by draining the pipe.
local fs = require("tinn.fs")
local log = require("tinn.log")
local fifo, dir = dofile("lib/fifos.lua")("tinn-log-timeouts")

local lonely = fifo("lonely")
print("open", log.open(lonely, { timeout = 50 }))
local release = assert(fs.open(lonely, "r+"))

local fifo = fifo("pipe")
local reader = assert(fs.open(fifo, "r+")) -- keeps both ends open, so opening does not wait
-- maxBuffered above the 4 MiB logged, so logging itself never waits for the stuck pipe
local logger = assert(log.open(fifo, { flushMs = 60000, timeout = 1000, maxBuffered = 8 * 1024 * 1024 }))
local message = string.rep("x", 1000)
local count = 4096 -- 4 MiB, more than any pipe holds
for _ = 1, count do logger:info(message) end
print("flush", logger:flush(50))
print("close", logger:close(50))
print("closed", logger:isClosed(), logger:info("late"))

local size = count * (24 + 1 + 4 + 1 + #message + 1)
local got = assert(reader:read(size, 5000))
print("drained", #got == size, select(2, got:gsub("\n", "")))
assert(reader:close())
assert(release:close())
print("cleanup", fs.remove(dir, { recursive = true }))
