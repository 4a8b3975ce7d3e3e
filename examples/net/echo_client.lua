-- echo_client.lua: sends a few lines to an echo server and prints the replies.
-- With no server running, starts one of its own first, so it also runs standalone.
local net = require("tinn.net")
local port = tonumber(arg[1])
local server
if not port then
  server = assert(net.tcp.listen("127.0.0.1", 0))
  port = server.port
  spawn(function() server:serve(function(conn) for line in conn:lines() do conn:write(line .. "\n") end end) end)
end
local conn = assert(net.tcp.connect("127.0.0.1", port, { timeout = 2000 }))
for _, word in ipairs({ "one", "two", "three" }) do
  conn:write(word .. "\n")
  print("echo: " .. conn:read("l"))
end
conn:close()
if server then server:close() end
