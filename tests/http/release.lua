-- Issue 14 items 7 and 13: what a handler is done with is let go when it ends, not when Lua's
-- GC runs (stopped here, so nothing is collected). Before: an `Upgrade:` header or a CONNECT
-- left the socket in a hyper upgrade slot the request object kept; a WebSocket handler that
-- returned without ws:close() kept its connection; a peer breaking the protocol got no close
-- frame and its TCP stayed open; a peer that vanished gave "websocket receive: ..." instead
-- of nil, "closed".
collectgarbage("stop")
local http, net = require("tinn.http"), require("tinn.net")
local openFds = dofile("net/fd_count.lua")

local ended = {}
local server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/ws-return" then
    local ws = assert(res:upgrade())
    ws:send("hi")
    return -- no ws:close(): the server closes it with 1000
  elseif req.path == "/ws-echo" then
    local ws = assert(res:upgrade())
    while true do
      local data, err, code, reason = ws:receive()
      if not data then
        ended[#ended + 1] = table.concat({ tostring(err), tostring(code), tostring(reason) }, " ")
        return
      end
      ws:send(data)
    end
  elseif req.method == "CONNECT" then
    return res:status(405):send("no tunnels")
  end
  res:send("plain")
end })

local function connect()
  return assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
end

local function statusOf(request)
  local conn = connect()
  assert(conn:write(request))
  local status = conn:read("l")
  conn:close()
  return status
end

local function settle(baseline)
  return waitFor(function() return openFds() <= baseline end, 3000) or "fds " .. openFds() - baseline .. " above"
end

local baseline = openFds()
local status
for _ = 1, 40 do
  status = statusOf("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
end
print("h2c upgrade asked, answered", status, "released", settle(baseline))
for _ = 1, 40 do
  status = statusOf("CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n")
end
print("CONNECT", status, "released", settle(baseline))

local base = ("ws://127.0.0.1:%d"):format(server.port)
for i = 1, 20 do
  local ws = assert(http.websocket(base .. "/ws-return", { timeout = 2000 }))
  local hi = ws:receive(2000)
  local data, err, code = ws:receive(2000)
  if i == 1 then print("handler returned without close", hi, data, err, code) end
  ws:close()
end
print("websocket handlers", "released", settle(baseline))

-- A raw client, to break the protocol on purpose.
local function handshake()
  local conn = connect()
  conn:write("GET /ws-echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    .. "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
  local status = conn:read("l")
  repeat local line = conn:read("l") until line == "" or line == nil
  return conn, status
end

-- The close frame the server sends, and whether it then closed the TCP connection.
local function closeFrame(conn)
  local head, err = conn:readExactly(2)
  if not head then return "no close frame: " .. tostring(err) end
  local payload = conn:readExactly(head:byte(2))
  local rest, eofErr = conn:read("a")
  return ("opcode 0x%x code %d, then %s"):format(head:byte(1), payload:byte(1) * 256 + payload:byte(2),
    rest and "end of stream" or tostring(eofErr))
end

local conn, answer = handshake()
print("handshake", answer)
conn:write("\129\2hi") -- a text frame without the mask every client frame must have
print("unmasked frame", closeFrame(conn))
conn:close()
conn = handshake()
conn:write("\129\130\0\0\0\0\255\254") -- masked (with zeros) text that is not UTF-8
print("invalid UTF-8", closeFrame(conn))
conn:close()
conn = handshake()
conn:write("\130\255\0\0\0\0\1\16\0\0\0\0\0\0") -- a binary frame announcing 17 MiB (the limit is 16)
print("frame too big", closeFrame(conn))
conn:close()
conn = handshake()
conn:close() -- vanishes without a close frame
waitFor(function() return #ended == 4 end, 3000)
for i, line in ipairs(ended) do print("server saw", i, line) end
print("protocol errors", "released", settle(baseline))
server:close()
