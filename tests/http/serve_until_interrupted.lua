-- A server for tests/http.rs: prints its port and serves until Ctrl-C, which drains it.
local http = require("tinn.http")
local server = assert(http.serve{ port = 0, drainMs = 3000, handler = function(req, res)
  sleep(tonumber(req.query.ms) or 0)
  res:send("done " .. req.path)
end })
print(server.port)
