-- The tinn side of the echo benchmark: prints its port, then echoes every connection until killed.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0, { backlog = 1024 }))
print(server.port)
server:serve(function(conn)
  while true do
    local chunk = conn:read(65536)
    if not chunk then return end
    conn:write(chunk)
  end
end)
