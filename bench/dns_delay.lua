-- A UDP DNS relay that adds a fixed delay, standing in for a server some milliseconds away:
--   tinn bench/dns_delay.lua upstreamPort delayMs
-- Prints the port it listens on (127.0.0.1), then relays each query to 127.0.0.1:upstreamPort
-- after delayMs, from a socket of its own, and the answer back.
local net = require("tinn.net")
local upstream = assert(tonumber(arg[1]), "usage: dns_delay.lua upstreamPort delayMs")
local delay = tonumber(arg[2]) or 5
local socket = assert(net.udp.bind("127.0.0.1", 0))
print(socket.port)
io.stdout:flush()

local function relay(query, host, port)
  sleep(delay)
  local out = assert(net.udp.bind("127.0.0.1", 0))
  out:sendto(query, "127.0.0.1", upstream)
  local answer = out:receivefrom(65536, 5000)
  out:close()
  if answer then socket:sendto(answer, host, port) end
end

while true do
  local query, host, port = socket:receivefrom()
  if not query then break end
  spawn(relay, query, host, port)
end
