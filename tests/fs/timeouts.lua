-- Every call that can wait takes a timeout and returns nil, "timeout". FIFOs stand in for a
-- stuck disk: opening one waits for the other end, reading waits for data, writing waits for
-- room. The OS call itself cannot be interrupted, so each stuck call is released afterwards,
-- and the file stays usable. A stuck open is released by a "r+" handle (on Linux it opens at
-- once and counts as both ends), held until the end so that a job the thread pool starts
-- late is released too.
local fs = require("tinn.fs")
local fifo, dir = dofile("lib/fifos.lua")("tinn-timeouts")

-- open and readFile wait for a writer, writeFile for a reader
local readers, writers = fifo("readers"), fifo("writers")
print("type", fs.stat(readers).type)
print("open", fs.open(readers, "r", 50))
print("open with options", fs.open(readers, "r", { timeout = 20 }))
print("readFile", fs.readFile(readers, 30))
print("writeFile", fs.writeFile(writers, "lost", { timeout = 30 }))
local releaseReaders = assert(fs.open(readers, "r+"))
local releaseWriters = assert(fs.open(writers, "r+"))

-- read waits for data; what arrives later is kept for the next read
local pipe = fifo("pipe")
local f = assert(fs.open(pipe, "r+"))
local w = assert(fs.open(pipe, "w", 1000))
print("read", f:read("l", 50))
assert(w:write("late\n")) assert(w:flush())
print("after the timeout", f:read("l", 1000))
f:settimeout(30)
print("default timeout", f:read(1))
print("lines", pcall(function() for _ in f:lines(20) do end end))
assert(w:write("again\n")) assert(w:flush())
print("still usable", f:read("l", 1000))

-- write waits for room once the pipe is full; later calls queue behind it and time out too
local size = 4 * 1024 * 1024 -- more than any pipe holds
print("write", f:write(string.rep("x", size), 50))
print("flush", f:flush(30))
print("sync", f:sync(30))
print("seek", f:seek("cur", 0, 30))
print("close", f:close(30))
local r = assert(fs.open(pipe, "r", 1000))
local drained = assert(r:read(size, 5000))
print("drained", #drained)
print("closed meanwhile", f:isClosed(), f:read())
assert(r:close()) assert(w:close())

-- the readFile above ends once its FIFO has no writer left
assert(releaseReaders:close()) assert(releaseWriters:close())
print("cleanup", fs.remove(dir, { recursive = true }))
