-- Issue 14 item 10: after req:body(max, 50) timed out, every later read said "the request
-- body is being read by another task", and the bytes it had received were lost. Now a timed
-- out read leaves the body readable, with nothing lost. A res:write that times out sent
-- nothing of its chunk (chunks are queued whole): it says so (nil, "timeout", 0) and the
-- response goes on when the chunk is written again.
local http, net = require("tinn.http"), require("tinn.net")

local CHUNK, CHUNKS = 64 * 1024, 300
local function chunk(i) return string.rep(string.char(65 + i % 26), CHUNK) end

local server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/upload" then
    print("first read", req:body(nil, 50))
    signalAll("timedOut")
    local body, err = req:body(nil, 2000)
    print("second read", body, err)
    res:send("got " .. tostring(body and #body))
  elseif req.path == "/chunks" then
    print("chunk read", req:read(50))
    signalAll("timedOut")
    print("chunk after timeout", req:read(2000))
    print("then", req:read(2000), req:read(2000))
    res:send("ok")
  elseif req.path == "/download" then
    local timeouts = 0
    for i = 1, CHUNKS do
      while true do
        local ok, err, sent = res:write(chunk(i), 50)
        if ok then break end
        if err ~= "timeout" then print("write failed", err) return end
        timeouts = timeouts + 1
        if timeouts == 1 then
          print("write timed out, sent", sent)
          signalAll("timedOut")
        end
      end
    end
  end
end })

local function request(head)
  local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 5000 }))
  assert(conn:write(head))
  return conn
end

local function response(conn)
  local status = conn:read("l")
  local length
  repeat
    local line = conn:read("l")
    length = length or tonumber(line:match("^content%-length: (%d+)"))
  until line == ""
  return status, conn:readExactly(length)
end

local conn = request("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
waitSignal("timedOut", 2000)
conn:write("world")
print("client", response(conn))
conn:close()

conn = request("POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
waitSignal("timedOut", 2000)
conn:write("5\r\nhello\r\n0\r\n\r\n")
print("client", response(conn))
conn:close()

conn = request("GET /download HTTP/1.1\r\nHost: x\r\n\r\n")
print("waiting", waitSignal("timedOut", 5000))
repeat local line = conn:read("l") until line == ""
local parts = {}
while true do
  local size = tonumber(conn:read("l"), 16)
  if size == 0 then break end
  parts[#parts + 1] = conn:readExactly(size)
  conn:read("l")
end
local body = table.concat(parts)
local expected = {}
for i = 1, CHUNKS do expected[i] = chunk(i) end
print("download intact", #body == CHUNKS * CHUNK, body == table.concat(expected))
conn:close()
server:close()
