-- udp_ping_pong.lua: two UDP sockets bounce a counter back and forth.
local net = require("tinn.net")
local ping = assert(net.udp.bind("127.0.0.1", 0))
local pong = assert(net.udp.bind("127.0.0.1", 0))

spawn(function()
  while true do
    local n, host, port = pong:receivefrom(64, 1000)
    if not n then return end
    pong:sendto(tostring(tonumber(n) + 1), host, port)
  end
end)

local n = 0
for _ = 1, 5 do
  ping:sendto(tostring(n), "127.0.0.1", pong.port)
  n = tonumber((ping:receivefrom(64, 1000)))
  print("ping got " .. n)
end
ping:close()
pong:close()
