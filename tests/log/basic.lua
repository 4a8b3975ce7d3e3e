-- A logger appends `<UTC timestamp> <LEVEL> <message>` lines at or above its level; lines are
-- buffered and written in the background, by flush(), and by close().
local fs = require("tinn.fs")
local log = require("tinn.log")
local dir = assert(fs.tempdir("tinn-log"))
local path = dir .. "/app.log"
local function rel(s) return (tostring(s):gsub(dir:gsub("%p", "%%%0"), "DIR")) end
local function show(label, value, err) print(label, rel(value), rel(err)) end
local function contents()
  local text = assert(fs.readFile(path))
  local lines = {}
  for line in text:gmatch("[^\n]+") do
    local stamp, rest = line:match("^(%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ) (.*)$")
    lines[#lines + 1] = stamp and rest or ("BAD LINE: " .. line)
  end
  return lines, text
end

local logger = assert(log.open(path))
print("tostring", rel(logger), logger:level())
print("levels", logger:debug("hidden %d", 1), logger:info("started on port %d", 8080),
  logger:warn("disk at %d%%", 91), logger:error("failed: %s", "boom"))
logger:info("a lone message is not a format: 100%")
logger:log("warn", "via log(%q)", "warn")
logger:log("debug", "hidden too")
logger:info("%s %s", nil, { 1 } ~= nil)
print("flush", logger:flush())
local lines, text = contents()
for _, line in ipairs(lines) do print("", line) end

-- the timestamp is the current UTC time
local y, mo, d, h, mi, s = text:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
local stamped = os.time({ year = y, month = mo, day = d, hour = h, min = mi, sec = s })
print("timestamp is now (UTC)", math.abs(os.time(os.date("!*t")) - stamped) <= 5)

-- the level can change
logger:level("debug")
logger:debug("now visible")
logger:level("error")
logger:warn("hidden again")
print("level", logger:level())
logger:level("info")

-- without flush, lines reach the file by themselves (flushMs = 0: at the end of the round)
logger:info("in the background")
print("written in the background", waitFor(function()
  local f = io.open(path) -- a plain read is fine inside a test predicate
  local all = f:read("*a")
  f:close()
  return all:find("in the background", 1, true) ~= nil
end, 2000))

print("close", logger:close(), logger:close(), logger:isClosed())
print("after close", logger:info("late"))
print("flush after close", logger:flush())
lines = contents()
print("lines", #lines, lines[#lines])

-- opening again appends
local again = assert(log.open(path, { level = "warn", flushMs = 10, bufferSize = 100 }))
again:info("below warn")
again:warn("appended after reopening")
assert(again:close())
lines = contents()
print("reopened", #lines, lines[#lines])

-- failures and misuse
show("open in a missing directory", log.open(dir .. "/no/such/app.log"))
show("open a directory", log.open(dir))
local function try(fn)
  local ok, err = pcall(fn)
  print(ok, err)
end
try(function() log.open(nil) end)
try(function() log.open(path, "info") end)
try(function() log.open(path, { level = "loud" }) end)
try(function() log.open(path, { maxBytes = 0 }) end)
try(function() log.open(path, { keep = -1 }) end)
try(function() log.open(path, { keep = 1001 }) end)
try(function() log.open(path, { flushMs = 1.5 }) end)
try(function() log.open(path, { timeout = "soon" }) end)
try(function() logger:log("loud", "x") end)
try(function() logger:level(3) end)
try(function() logger:flush(-1) end)

print("cleanup", fs.remove(dir, { recursive = true }))
