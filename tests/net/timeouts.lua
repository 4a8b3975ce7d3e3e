-- Every wait takes a timeout and returns nil, "timeout"; the stream stays usable afterwards.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0, { backlog = 1 }))
print("accept", server:accept(20))
local conn = assert(net.tcp.connect("127.0.0.1", server.port))
local peer = assert(server:accept(1000))
print("read", conn:read("l", 20))
conn:settimeout(20)
print("default timeout", conn:read(10))
peer:write("late\n")
print("after timeouts", conn:read("l", 1000))
-- a full accept backlog makes the kernel drop new SYNs, so connect waits: it must time out
local extra = {}
for i = 1, 4 do extra[i] = net.tcp.connect("127.0.0.1", server.port, { timeout = 200 }) end
local timedOut = 0
for i = 1, 4 do if extra[i] == nil then timedOut = timedOut + 1 end end
print("connect timed out", timedOut > 0)
local udp = assert(net.udp.bind("127.0.0.1", 0))
print("receivefrom", udp:receivefrom(nil, 20))
for i = 1, 4 do if extra[i] then extra[i]:close() end end
udp:close() peer:close() conn:close() server:close()
