-- Issue 14 item 12: reading a line took time quadratic in its length (each 64 KiB piece read
-- from the disk restarted the search for "\n" at the line's start: 32 MB took ~4 s, 64 MB 15 s).
-- One 32 MB line, then a short one, read with read("l"), read("L") and lines().
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-long-line"))
local path = dir .. "/long.txt"
local size = 32 * 1024 * 1024
local long = string.rep("x", size - 1) .. "y"
assert(fs.writeFile(path, long .. "\r\n" .. "short\n" .. "last"))

local f = assert(fs.open(path))
local line = assert(f:read("l"))
print("read l", #line == size + 1, line:sub(-2) == "y\r")
print("then", f:read("l"), f:read("l"), f:read("l"))
assert(f:close())

f = assert(fs.open(path))
line = assert(f:read("L"))
print("read L", #line == size + 2, line:sub(-3) == "y\r\n")
assert(f:close())

local lengths = {}
f = assert(fs.open(path))
for l in f:lines() do lengths[#lengths + 1] = #l end
assert(f:close())
print("lines", table.concat(lengths, " "))
assert(fs.remove(dir, { recursive = true }))
