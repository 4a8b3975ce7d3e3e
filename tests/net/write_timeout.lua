-- Issue 14 item 10: a write that timed out after sending part of its bytes returned only
-- "timeout", so a script could not know which prefix the peer had got. Now it returns
-- nil, "timeout", bytes sent; writing the rest delivers every byte once, in order.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
local lines = {}
for i = 1, 1024 * 1024 do lines[i] = ("%015d\n"):format(i) end
local data = table.concat(lines) -- 16 MiB: more than the kernel buffers while nobody reads
local client = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 5000 }))
local peer = assert(server:accept(2000))

local ok, err, sent = client:write(data, 100)
sent = sent or 0
print("timed out", ok, err, sent > 0 and sent < #data)

local reader = spawn(function() return peer:read("a", 10000) end)
local rest = client:write(data:sub(sent + 1), 10000)
print("the rest", rest == #data - sent)
-- a timeout too long for the clock waits without limit (it used to raise mlua's runtime error)
print("huge timeout", client:write("x", 1e300))
client:close()
local received = reader:join()
print("received intact", #received == #data + 1, received == data .. "x")
peer:close()
server:close()
