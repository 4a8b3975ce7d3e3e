-- With maxBytes, a log rotates before a line would push it past the size: path -> path.1 ->
-- ... -> path.<keep>, the oldest dropped. Lines are never split across files.
local fs = require("tinn.fs")
local log = require("tinn.log")
local dir = assert(fs.tempdir("tinn-rotation"))
local path = dir .. "/app.log"

local function report()
  for name in assert(fs.list(dir)) do
    local text = assert(fs.readFile(dir .. "/" .. name))
    local first = text:match("message (%d+)")
    local last = text:match(".*message (%d+)")
    local _, count = text:gsub("\n", "")
    print("", name, #text, count .. " lines", "messages " .. tostring(first) .. "-" .. tostring(last))
  end
end

-- each line is 24 (timestamp) + 1 + 4 (INFO) + 1 + 11 (message) + 1 = 42 bytes: 7 fit in 300
local logger = assert(log.open(path, { maxBytes = 300, keep = 2 }))
for i = 1, 40 do logger:info("message %03d", i) end
assert(logger:flush())
print("keep 2")
report()

-- rotation also happens across background writes, and at reopening an existing full file
for i = 41, 45 do
  logger:info("message %03d", i)
  sleep(1)
end
assert(logger:close())
logger = assert(log.open(path, { maxBytes = 300, keep = 2 }))
logger:info("message 046")
assert(logger:close())
print("later writes and a reopened log")
report()

-- keep = 0 truncates instead of keeping old files
assert(fs.remove(dir, { recursive = true }))
assert(fs.mkdir(dir))
logger = assert(log.open(path, { maxBytes = 100, keep = 0 }))
for i = 1, 5 do logger:info("message %03d", i) end
assert(logger:close())
print("keep 0")
report()

-- a line longer than maxBytes gets a file of its own
logger = assert(log.open(path, { maxBytes = 100, keep = 3 }))
logger:info("message 001 " .. string.rep("x", 150))
logger:info("message 002")
assert(logger:close())
print("an oversized line")
report()

print("cleanup", fs.remove(dir, { recursive = true }))
