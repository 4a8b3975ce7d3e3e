-- IPv6 streams, writing from ffi memory, closing waking waiters, concurrent writers keeping
-- their bytes together, and a handler error that leaves the server serving.
local net = require("tinn.net")
local ffi = require("ffi")
local server = assert(net.tcp.listen("::1", 0))
print(tostring(server):match("^TcpServer%(%[::1%]:%d+%)$") ~= nil)
spawn(function()
  server:serve(function(conn)
    local line = conn:read("l")
    if line == "fail" then error("handler broke on purpose") end
    if line then conn:write("got " .. line .. "\n") end
  end)
end)

local failing = assert(net.tcp.connect("::1", server.port))
failing:write("fail\n")
print("after handler error", failing:read("l", 2000))
failing:close()

local conn = assert(net.tcp.connect("::1", server.port))
print(conn.remoteAddress, conn.remotePort == server.port)
local buf = ffi.new("char[?]", 6, "ffi!\n")
print("ffi write", conn:write(buf, 5))
print(conn:read("l", 2000))
conn:close()

-- close() wakes a task parked on the stream
local a = assert(net.tcp.connect("::1", server.port))
local parked = spawn(function() return a:read("l") end)
yield()
a:close()
print("parked reader", parked:join())

-- two tasks writing at once: each write's bytes stay together
local sink = assert(net.tcp.listen("127.0.0.1", 0))
local received
spawn(function() local c = sink:accept() received = c:read("a") c:close() end)
local out = assert(net.tcp.connect("127.0.0.1", sink.port))
local big1, big2 = ("a"):rep(3 * 1024 * 1024), ("b"):rep(3 * 1024 * 1024)
local w1 = spawn(function() return out:write(big1) end)
local w2 = spawn(function() return out:write(big2) end)
print("writes", w1:join(), w2:join())
out:close()
waitFor(function() return received end, 5000)
print("bytes kept together", received == big1 .. big2)
sink:close()
server:close()
