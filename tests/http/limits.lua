-- Issue 14 items 9 and 13: a kept-alive connection with nothing to do is closed after
-- idleTimeoutMs (without a 408: no request was begun); a request whose body stalls for
-- bodyTimeoutMs ends its read with "timeout" (before: held until the client left); the header
-- count limit is `maxHeaders` (before: 431 past hyper's 100 whatever the options said).
local http, net = require("tinn.http"), require("tinn.net")

local server = assert(http.serve{ port = 0, idleTimeoutMs = 200, headerTimeoutMs = 300, bodyTimeoutMs = 200,
  maxHeaders = 150, handler = function(req, res)
    if req.path == "/upload" then
      local body, err = req:body()
      return res:status(body and 200 or 408):send(tostring(err))
    elseif req.path == "/slow" then
      sleep(500) -- longer than idleTimeoutMs: a request in progress is not idle
    elseif req.path == "/ws" then
      local ws = assert(res:upgrade())
      ws:send((ws:receive()))
      return
    end
    res:send("ok")
  end })
local plain = assert(http.serve{ port = 0, handler = function(req, res) res:send("ok") end })

local function connect(port)
  return assert(net.tcp.connect("127.0.0.1", port or server.port, { timeout = 3000 }))
end

local function response(conn)
  local status = conn:read("l")
  if not status then return nil end
  local length = 0
  repeat
    local line = conn:read("l")
    length = tonumber(line:match("^content%-length: (%d+)")) or length
  until line == ""
  return status, length > 0 and conn:readExactly(length) or ""
end

local GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
local conn = connect()
conn:write(GET)
print("first", response(conn))
conn:write(GET)
print("kept alive", response(conn))
print("then idle: closed without a word", conn:read("a"))
conn:close()

conn = connect()
print("nothing ever sent: closed", conn:read("a"))
conn:close()

conn = connect()
conn:write("GET / HTTP/1.1\r\nHost: x\r\n")
print("headers too slow", conn:read("l"))
conn:close()

conn = connect()
conn:write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
print("slow handler", response(conn))
conn:close()

conn = connect()
conn:write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nab")
print("stalled body", response(conn))
print("then the connection closes", conn:read("a"))
conn:close()

local headers = { "GET / HTTP/1.1", "Host: x" }
for i = 1, 120 do headers[#headers + 1] = "x-h" .. i .. ": " .. i end
local many = table.concat(headers, "\r\n") .. "\r\n\r\n"
conn = connect()
conn:write(many)
print("120 headers, maxHeaders = 150", response(conn))
conn:close()
conn = connect(plain.port)
conn:write(many)
print("120 headers, default 100", response(conn))
conn:close()

local ws = assert(http.websocket(("ws://127.0.0.1:%d/ws"):format(server.port), { timeout = 2000 }))
sleep(400) -- a WebSocket is not an idle HTTP connection
ws:send("still there")
print("websocket after a pause", ws:receive(2000))
ws:close()
server:close()
plain:close()
