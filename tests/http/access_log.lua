-- accessLog = logger: one line per request in the combined log format, after the response.
local http, log, fs = require("tinn.http"), require("tinn.log"), require("tinn.fs")
local dir = assert(fs.tempdir())
local logger = assert(log.open(dir .. "/access.log"))
local server = assert(http.serve{ port = 0, accessLog = logger, handler = function(req, res)
  if req.path == "/fail" then error("boom") end
  if req.path == "/stream" then
    res:write("abc")
    res:write("de")
    return
  end
  if req.path == "/missing" then res:status(404):send("no") return end
  res:send("hello " .. (req:body() or ""))
end })
local url = "http://127.0.0.1:" .. server.port
assert(http.get(url .. "/a?x=1&y=%22", { headers = { ["user-agent"] = 'tinn "test"', referer = "http://example.com/" } }))
assert(http.request{ url = url .. "/post", method = "POST", body = "world" })
assert(http.get(url .. "/missing"))
assert(http.get(url .. "/stream"))
assert(http.get(url .. "/fail"))
server:close()
assert(logger:close())
for line in io.lines(dir .. "/access.log") do
  -- the logger's own timestamp, then the date in brackets, vary
  local stamp = line:match("^%d%d%d%d%-%d%d%-%d%dT[%d:.]+Z INFO (.*)$")
  local date, rest = stamp:match("^127%.0%.0%.1 %- %- %[(%d%d/%a%a%a/%d%d%d%d:%d%d:%d%d:%d%d %+0000)%] (.*)$")
  print(date ~= nil, rest)
end
assert(fs.remove(dir, { recursive = true }))
