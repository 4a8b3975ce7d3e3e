-- Waits on IO outlive thousands of later ones, and thousands wait at once: each still gets its
-- own result (a parked wait's id is kept in a ring of 4096 places, or beside it when its place
-- is taken), whether it completes, times out or is cancelled.
local net = require("tinn.net")
local server = assert(net.tcp.listen("127.0.0.1", 0))
local function pair()
  local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 5000 }))
  return conn, assert(server:accept(2000))
end
local longConn, longPeer = pair()
local echoConn, echoPeer = pair()
local queueConn, queuePeer = pair()

-- one read waits through everything below
local long = spawn(function() return longConn:read("l") end)
yield()

-- 5000 round trips: every read on both ends parks, so some 10000 ids go by
spawn(function()
  while true do
    local line = echoPeer:read("l")
    if not line then return end
    echoPeer:write(line .. "\n")
  end
end)
local echoed = 0
for i = 1, 5000 do
  echoConn:write(i .. "\n")
  if echoConn:read("l") == tostring(i) then echoed = echoed + 1 end
end
print("round trips echoed", echoed)

-- 5000 reads parked at once on one stream: some 900 more than the ring holds
local function parkReaders(count, timeoutMs)
  local readers = {}
  for i = 1, count do readers[i] = spawn(function() return queueConn:read("l", timeoutMs) end) end
  yield()
  return readers
end

local readers = parkReaders(5000, 30)
local timedOut = 0
for _, reader in ipairs(readers) do
  local line, err = reader:join()
  if line == nil and err == "timeout" then timedOut = timedOut + 1 end
end
print("parked reads timed out", timedOut)

readers = parkReaders(5000)
for i = 1, 5000, 2 do readers[i]:cancel() end
for i = 1, 2500 do queuePeer:write("line " .. i .. "\n") end
local inOrder = 0
for i = 2, 5000, 2 do
  if readers[i]:join() == "line " .. i / 2 then inOrder = inOrder + 1 end
end
print("parked reads left after cancels, answered in order", inOrder)

longPeer:write("still here\n")
print("the long wait", long:join())
echoConn:close()
