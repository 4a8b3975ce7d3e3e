-- echo_server.lua: a TCP echo server; each connection is served by its own task.
-- Run: tinn examples/net/echo_server.lua [port]   then: tinn examples/net/echo_client.lua [port]
local net = require("tinn.net")
local port = tonumber(arg[1]) or 7007
local server = assert(net.tcp.listen("127.0.0.1", port))
print("echoing on " .. tostring(server))
onSignal(function() print("bye") server:close() end, "SIGINT")
server:serve(function(conn)
  print("hello " .. tostring(conn))
  for line in conn:lines() do
    conn:write(line .. "\n")
  end
  print("goodbye " .. tostring(conn))
end)
