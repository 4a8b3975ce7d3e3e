-- 10,000 connections opened and closed, plus cancelled and timed-out operations: the process
-- ends with the descriptors it started with.
local net = require("tinn.net")
local openFds = require("fd_count")
local server = assert(net.tcp.listen("127.0.0.1", 0, { backlog = 1024 }))
local before = openFds()
spawn(function()
  server:serve(function(conn)
    local line = conn:read("l")
    if line then conn:write(line .. "\n") end -- the idle client below closes without a line
  end)
end)
local done = 0
local function client(n)
  for i = 1, n do
    local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 5000 }))
    conn:write(i .. "\n")
    assert(conn:read("l") == tostring(i), "echoed")
    conn:close()
    done = done + 1
  end
end
local clients = {}
for c = 1, 50 do clients[c] = spawn(client, 200) end
for c = 1, 50 do clients[c]:join() end
-- a reader cancelled while it waits, and a read that times out, release their sockets too
local idle = assert(net.tcp.connect("127.0.0.1", server.port))
local reader = spawn(function() idle:read("l") end)
yield()
reader:cancel()
print("timed out", idle:read("l", 10))
idle:close()
print("connections", done)
-- the server's handler tasks see the closes a moment later (longer on a loaded machine); a leak
-- is growth, so a count at or below the start passes
local back = false
for _ = 1, 250 do
  back = openFds() <= before
  if back then break end
  sleep(20)
end
if not back then
  -- say which descriptors stayed open, so a failure can be diagnosed
  local pid = require("ffi").C.getpid()
  local listing = io.popen("ls -l /proc/" .. pid .. "/fd")
  io.stderr:write("started with ", before, " descriptors; now:\n", listing:read("*a"))
  listing:close()
end
print("descriptors back to start", back)
server:close()
