-- Partial reads, line reads and exact reads across packet boundaries; end of stream.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
local function sendSlowly(conn, pieces)
  for _, piece in ipairs(pieces) do conn:write(piece) sleep(5) end
end
spawn(function()
  local conn = assert(server:accept(2000))
  sendSlowly(conn, { "he", "llo\nwor", "ld\r\nx", "yz12", "345", "\nlast line without newline" })
  conn:close()
end)
local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
print(conn:read("l"))          -- "hello", assembled from two packets
print(conn:read("L"))          -- "world\r\n" kept as sent
print(conn:readExactly(3))     -- "xyz", the start of a packet
print(conn:read(2))            -- "12": up to 2 bytes
print(conn:read("l"))          -- "345"
print(conn:read("a"))          -- the rest, once the peer closes
print(conn:read("l"), conn:read("a") == "", conn:read(10))
conn:close()
server:close()
