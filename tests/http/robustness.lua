-- Malformed requests get 400 / 431 / 408 and never stall other clients; 1,000 concurrent
-- requests all succeed; large bodies stream through the server in chunks, both ways.
local http, net = require("tinn.http"), require("tinn.net")
local server = assert(http.serve{ port = 0, headerTimeoutMs = 300, maxHeaderBytes = 8192, backlog = 2048,
  handler = function(req, res)
    if req.path == "/upload" then
      -- count the upload chunk by chunk: it is never held whole in memory
      local total, chunks, biggest = 0, 0, 0
      while true do
        local chunk, err = req:read(5000)
        assert(chunk or not err, err)
        if chunk == nil then break end
        total, chunks = total + #chunk, chunks + 1
        if #chunk > biggest then biggest = #chunk end
      end
      res:send(("%d bytes in %s chunks, biggest %s"):format(total, chunks > 10 and "many" or chunks,
        biggest <= 1024 * 1024 and "<= 1 MiB" or biggest))
    elseif req.path == "/download" then
      local block = ("0123456789abcdef"):rep(4096) -- 64 KiB
      for _ = 1, 320 do assert(res:write(block, 5000)) end -- 20 MiB, written as the client reads
    else
      res:send("ok " .. req.path)
    end
  end })
local function raw(text)
  local c = assert(net.tcp.connect("127.0.0.1", server.port))
  c:write(text)
  local reply = c:read("a", 3000)
  c:close()
  return (reply or "no reply"):match("^[^\r\n]*")
end
-- a slow client (headers never finish) is connected the whole time
local slow = assert(net.tcp.connect("127.0.0.1", server.port))
slow:write("GET / HTTP/1.1\r\nHost: x\r\n")
print("bad request line", raw("GARBAGE\r\n\r\n"))
print("oversized headers", raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " .. ("a"):rep(20000) .. "\r\n\r\n"))
print("fine meanwhile", raw("GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
print("slow headers", (slow:read("l", 3000)))
slow:close()

local base = ("http://127.0.0.1:%d"):format(server.port)
local ok, tasks = 0, {}
for i = 1, 1000 do
  tasks[i] = spawn(function()
    local r = http.get(base .. "/n" .. i, { timeout = 20000 })
    if r and r.status == 200 and r.body == "ok /n" .. i then ok = ok + 1 end
  end)
end
for i = 1, 1000 do tasks[i]:join() end
print("concurrent requests ok", ok)

local upload = ("u"):rep(24 * 1024 * 1024)
local r = assert(http.request{ url = base .. "/upload", method = "POST", body = upload, timeout = 20000 })
print("upload", r.body)
r = assert(http.get(base .. "/download", { timeout = 20000 }))
print("download", #r.body, r.headers["transfer-encoding"])
server:close()
