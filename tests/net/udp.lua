-- UDP: 1,000 datagrams ping-pong over IPv4 and a round trip over IPv6.
local net = require("tinn.net")
local server = assert(net.udp.bind("127.0.0.1", 0))
spawn(function()
  while true do
    local data, host, port = server:receivefrom()
    if not data then return end -- closed
    server:sendto("pong " .. data, host, port)
  end
end)
local client = assert(net.udp.bind("127.0.0.1", 0))
local answered = 0
for i = 1, 1000 do
  assert(client:sendto(tostring(i), "127.0.0.1", server.port) == #tostring(i), "sent whole datagram")
  local reply, host, port = client:receivefrom(100, 2000)
  assert(reply == "pong " .. i, "reply " .. i .. " matches, got " .. tostring(reply))
  assert(host == "127.0.0.1" and port == server.port, "reply comes from the server")
  answered = answered + 1
end
print("answered", answered)
print(tostring(server):match("^UdpSocket%(127%.0%.0%.1:%d+%)$") ~= nil)
local six = assert(net.udp.bind("::1", 0))
local sixClient = assert(net.udp.bind("::1", 0))
sixClient:sendto("over v6", "::1", six.port)
local data, host = six:receivefrom(nil, 2000)
print(data, host)
print("truncated to max", (client:sendto("0123456789", "127.0.0.1", client.port)), client:receivefrom(4, 1000) == "0123")
-- closing wakes a task waiting to receive
local waiter = spawn(function() return server:receivefrom() end)
yield()
server:close()
print("waiter got", waiter:join())
six:close() sixClient:close() client:close()
