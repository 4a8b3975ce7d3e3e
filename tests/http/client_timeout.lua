-- http.request/http.get with a timeout: a server that has not answered in time gives
-- nil, "timeout"; the server's handler is not disturbed and the next request is answered.
local http = require("tinn.http")

local released = false
local server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/slow" then
    assert(waitFor(function() return released end, 5000), "the test releases the slow handler")
  end
  res:send("answered " .. req.path)
end })
local base = "http://127.0.0.1:" .. server.port

print("slow", http.get(base .. "/slow", { timeout = 100 }))
print("request", http.request{ url = base .. "/slow", timeout = 50 })
released = true
local r = assert(http.get(base .. "/fast", { timeout = 2000 }))
print("fast", r.status, r.body)
server:close()
