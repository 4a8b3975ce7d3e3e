-- A script for tests/http.rs, run under `ulimit -n 64`: an HTTP server and a tinn.net echo
-- server that must keep answering (and not spin) once connections use up the descriptors.
local http, net = require("tinn.http"), require("tinn.net")
local server, echo
server = assert(http.serve{ port = 0, headerTimeoutMs = 60000, idleTimeoutMs = 60000, handler = function(req, res)
  if req.path == "/quit" then
    res:send("bye")
    delay(function() server:close() echo:close() end, 10)
  else
    res:send("ok")
  end
end })
echo = assert(net.tcp.listen("127.0.0.1", 0))
spawn(function()
  echo:serve(function(conn)
    local line = conn:read("l")
    if line then conn:write(line .. "\n") end
  end)
end)
print(server.port, echo.port)
