-- Host names go through tinn.dns (here /etc/hosts, which every machine has for localhost), for
-- tcp.connect and for udp sendto alike.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
spawn(function() local c = server:accept() c:write("hello by name\n") c:close() end)
local c = assert(net.tcp.connect("localhost", server.port, { timeout = 3000 }))
print(c.remoteAddress, c:read("l"))
c:close()
server:close()
local a, b = assert(net.udp.bind("127.0.0.1", 0)), assert(net.udp.bind("127.0.0.1", 0))
print(a:sendto("ping", "localhost", b.port, 3000))
print(b:receivefrom(nil, 3000) == "ping")
a:close() b:close()
