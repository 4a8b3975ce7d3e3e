-- A server for tests/http.rs: prints its port and serves until Ctrl-C, which drains it. Each
-- request's path is printed as it arrives (the test's handshake: a request is in flight).
local http = require("tinn.http")
local server = assert(http.serve{ port = 0, drainMs = 3000, handler = function(req, res)
  print("serving " .. req.path)
  io.stdout:flush()
  sleep(tonumber(req.query.ms) or 0)
  res:send("done " .. req.path)
end })
print(server.port)
io.stdout:flush()
