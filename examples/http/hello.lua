-- hello.lua: the smallest HTTP server. Each request runs as its own task.
-- Run: tinn examples/http/hello.lua [port]   then: curl http://127.0.0.1:8080/
local http = require("tinn.http")
local server = assert(http.serve{ port = tonumber(arg[1]) or 8080, handler = function(req, res)
  res:header("content-type", "text/plain"):send("Hello, World!\n")
end })
print("listening on http://127.0.0.1:" .. server.port)
