-- Several tasks reading one stream at once: they get bytes in the order they called read; a
-- queued read that times out or whose task is cancelled leaves its turn to the next; a first
-- read that gives up lets a later read that needs fewer bytes have them at once; close wakes
-- every queued reader; one that meets end of stream returns one nil.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
local peer = assert(server:accept(2000))

-- three readers queue in call order; the peer sends their lines one by one
local readers = {}
for i = 1, 3 do
  readers[i] = spawn(function() return conn:read("l") end)
end
yield()
for _, line in ipairs({ "one", "two", "three" }) do
  peer:write(line .. "\n")
  sleep(5)
end
print("in call order", readers[1]:join(), readers[2]:join(), readers[3]:join())

-- the second of three times out while queued; the third takes its turn
local first = spawn(function() return conn:read("l") end)
local second = spawn(function() return conn:read("l", 20) end)
local third = spawn(function() return conn:read("l") end)
print("queued read", second:join())
peer:write("a\nb\n")
print("after a timeout", first:join(), third:join())

-- a cancelled task's queued read is dropped too
first = spawn(function() return conn:read("l") end)
second = spawn(function() return conn:read("l") end)
third = spawn(function() return conn:read("l") end)
yield()
second:cancel()
peer:write("c\nd\n")
print("after a cancel", first:join(), third:join())

-- the first read wants a whole line and gives up; the next wants up to 10 bytes: the bytes
-- already buffered for the line are its at once
local line = spawn(function() return conn:read("l", 50) end)
local some = spawn(function() return conn:read(10) end)
yield()
peer:write("abc")
print("line gave up", line:join())
print("bytes buffered for it", some:join())

-- close wakes the reader waiting and those queued behind it
local waiting = {}
for i = 1, 3 do waiting[i] = spawn(function() return conn:read("l") end) end
yield()
conn:close()
for i = 1, 3 do print("closed while queued", waiting[i]:join()) end
print("read after close", conn:read("l"))
peer:close()

-- a parked read that meets end of stream returns one nil, as one answered at once does
local other = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
local otherPeer = assert(server:accept(2000))
local atEnd = spawn(function() return select("#", other:read(10)), other:read(10) end)
yield()
otherPeer:close()
print("end of stream while parked", atEnd:join())
print("end of stream at once", select("#", other:read(10)), other:read(10))
other:close()
server:close()
