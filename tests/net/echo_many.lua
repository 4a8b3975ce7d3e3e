-- 1 MB echoed through each of 100 concurrent connections, byte for byte.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
spawn(function()
  server:serve(function(conn)
    while true do
      local chunk = conn:read(16384)
      if not chunk then return end
      assert(conn:write(chunk) == #chunk, "echo writes the whole chunk")
    end
  end)
end)

local SIZE, CLIENTS = 1024 * 1024, 100
local pattern = {}
for i = 1, 256 do pattern[i] = string.char((i * 7) % 256) end
local block = table.concat(pattern)
local payload = block:rep(SIZE / #block)

local ok = 0
local function client(id)
  local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 20000 }))
  local writer = spawn(function()
    for offset = 1, SIZE, 65536 do assert(conn:write(payload:sub(offset, offset + 65535))) end
    conn:shutdown()
  end)
  local received = assert(conn:read("a"))
  writer:join()
  conn:close()
  assert(#received == SIZE, ("client %d got %d bytes"):format(id, #received))
  assert(received == payload, ("client %d got different bytes"):format(id))
  ok = ok + 1
end
local clients = {}
for id = 1, CLIENTS do clients[id] = spawn(client, id) end
for id = 1, CLIENTS do clients[id]:join() end
server:close()
print("clients echoed 1 MB intact:", ok)
