-- Large files survive a round trip byte for byte: whole-file calls, a file handle written and
-- read in uneven pieces, and many short lines.
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-large"))
local path = dir .. "/large.bin"

local bytes = {}
for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
local block = table.concat(bytes)                -- every byte value, NUL and \n included
local big = string.rep(block, 64 * 1024)         -- 16 MiB

print("writeFile", fs.writeFile(path, big))
print("stat size", fs.stat(path).size)
local back = assert(fs.readFile(path))
print("readFile round trip", #back, back == big)
back = nil
print("atomic writeFile", fs.writeFile(path, big:sub(1, 10 * 1024 * 1024), { atomic = true }), fs.stat(path).size)

-- through a handle, in pieces smaller than, equal to and larger than the 64 KiB buffers
local sizes = { 1, 100, 4096, 65535, 65536, 65537, 1000000, 3 }
local f = assert(fs.open(path, "w"))
local pos, n = 1, 0
while pos <= #big do
  n = n + 1
  local size = sizes[n % #sizes + 1]
  assert(f:write(big:sub(pos, pos + size - 1)))
  pos = pos + size
end
print("pieces written", n, f:seek(), f:close())
f = assert(fs.open(path))
local pieces = {}
repeat
  local chunk = f:read(777777)
  pieces[#pieces + 1] = chunk
until chunk == nil
print("pieces read back", #pieces, table.concat(pieces) == big)
print("seek to the middle", f:seek("set", 8 * 1024 * 1024), f:read(256) == block)
print("read the rest", #f:read("a"), f:read("a"), f:read())
assert(f:close())

-- 200,000 lines
local lines = {}
for i = 1, 200000 do lines[i] = "line " .. i end
assert(fs.writeFile(path, table.concat(lines, "\n") .. "\n"))
local count, same = 0, true
f = assert(fs.open(path))
for line in f:lines() do
  count = count + 1
  if line ~= lines[count] then same = false end
end
print("lines", count, same)
assert(f:close())

print("cleanup", fs.remove(dir, { recursive = true }))
