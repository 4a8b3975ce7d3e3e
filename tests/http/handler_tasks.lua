-- Handler tasks are reused between requests, and a handler that waits never holds up another
-- request: four requests whose handlers wait for a signal are all inside their handlers at
-- once, while a fifth is answered meanwhile; handler errors leave the tasks serving. A req/res
-- kept past its handler's end reaches nothing, not the next request in its place.
local http = require("tinn.http")

local inside = 0
local kept, freshInside
local server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/keep" then
    kept = { req = req, res = res } -- returns without sending: an empty 200
  elseif req.path == "/fresh" then
    freshInside = true -- in the slot the kept request had
    waitSignal("fresh")
    res:send("fresh answer")
  elseif req.path == "/wait" then
    inside = inside + 1
    waitSignal("release")
    res:send("released")
  elseif req.path == "/fail" then
    error("handler failed on purpose")
  else
    res:send("at once")
  end
end })
local url = "http://127.0.0.1:" .. server.port

local waiting = {}
for i = 1, 4 do
  waiting[i] = spawn(function() return http.get(url .. "/wait", { timeout = 5000 }).body end)
end
waitFor(function() return inside == 4 end, 5000)
print("handlers waiting at once", inside)
print("another request meanwhile", http.get(url .. "/now", { timeout = 5000 }).body)
signalAll("release")
for i = 1, 4 do print("waiting request", i, waiting[i]:join(5000)) end

local failures = {}
for i = 1, 3 do failures[i] = http.get(url .. "/fail", { timeout = 5000 }).status end
print("failing handler", table.concat(failures, " "))
local answers = {}
for i = 1, 20 do answers[#answers + 1] = http.get(url .. "/again", { timeout = 5000 }).body end
print("served after failures", #answers, answers[20])

print("kept request answered", http.get(url .. "/keep", { timeout = 5000 }).status)
local fresh = spawn(function() return http.get(url .. "/fresh", { timeout = 5000 }).body end)
waitFor(function() return freshInside end, 5000)
print("stale send", select(2, pcall(kept.res.send, kept.res, "stale")))
print("stale headers", select(2, pcall(function() return kept.req.headers end)))
print("stale read", kept.req:read())
signalAll("fresh")
print("the request after it", fresh:join(5000))
server:close()
