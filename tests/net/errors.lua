-- Failures come back as nil and a message naming the operation, the address and the OS error.
local net = require("tinn.net")
local function show(label, value, err)
  print(label, tostring(value), (tostring(err):gsub(":%d+'", ":PORT'")))
end
local probe = assert(net.tcp.listen("127.0.0.1", 0))
local port = probe.port
probe:close()
show("refused", net.tcp.connect("127.0.0.1", port))
local taken = assert(net.tcp.listen("127.0.0.1", 0))
show("in use", net.tcp.listen("127.0.0.1", taken.port))
taken:close()
-- peer reset: the server closes with unread data, so the kernel answers with RST
local server = assert(net.tcp.listen("127.0.0.1", 0))
local function resetByPeer()
  local written = false
  spawn(function()
    local conn = server:accept()
    -- the client's write has returned: on loopback its bytes are in our receive queue, unread
    assert(waitFor(function() return written end, 2000), "the client writes")
    conn:close()
  end)
  local conn = assert(net.tcp.connect("127.0.0.1", server.port))
  assert(conn:write("unread bytes\n"))
  written = true
  return conn
end
-- the read waits, then the reset arrives
local conn = resetByPeer()
show("reset", conn:read(100, 2000))
conn:close()
-- the reset has arrived: the read meets it at once (through the FFI, which leaves the message
-- to the mlua call)
conn = resetByPeer()
sleep(100)
show("reset", conn:read(100, 2000))
conn:close()
show("closed stream", conn:write("x"))
show("closed stream", conn:read())
conn:close() -- closing twice is fine
server:close()
show("closed server", server:accept())
print(pcall(function() net.tcp.connect("127.0.0.1", 70000) end))
print(pcall(function() net.tcp.connect(nil, 80) end))
print(pcall(function() net.tcp.listen("127.0.0.1", 0, { backlog = "big" }) end))
print(pcall(function() net.udp.bind("127.0.0.1", -1) end))
print(pcall(function() net.tcp.connect("127.0.0.1", 80, 5) end))
