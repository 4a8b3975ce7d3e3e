-- server:close{drainMs}: new connections are refused at once, a request in flight still gets
-- its response; one that outlives drainMs is cut off.
local http = require("tinn.http")
local server = assert(http.serve{ port = 0, handler = function(req, res)
  sleep(tonumber(req.query.ms) or 0)
  res:send("done " .. req.path)
end })
local url = "http://127.0.0.1:" .. server.port
local slow = spawn(function() return http.get(url .. "/slow?ms=300", { timeout = 5000 }) end)
sleep(100) -- the slow request is in its handler
server:close{ drainMs = 2000 }
print("isClosed", server:isClosed())
local refused, err = http.get(url .. "/new", { timeout = 2000 })
print("new connection", refused, err and err:find("Connection refused", 1, true) ~= nil)
local r = slow:join()
print("in flight", r.status, r.body)
server.task:join()
print("server task", server.task:status())

server = assert(http.serve{ port = 0, handler = function(req, res)
  sleep(tonumber(req.query.ms) or 0)
  res:send("done " .. req.path)
end })
url = "http://127.0.0.1:" .. server.port
local tooSlow = spawn(function() return http.get(url .. "/too-slow?ms=800", { timeout = 5000 }) end)
sleep(100)
server:close{ drainMs = 200 }
local cut, why = tooSlow:join()
print("past drainMs", cut, why ~= nil)
print("bad drainMs", pcall(server.close, server, { drainMs = -1 }))
