-- A full queue (256 messages) suspends only the posting task: other tasks keep running, and
-- every message arrives, in order, once the worker reads. Same for the worker posting to us.
-- A TCP connection is the handshake: each side tells the other when its posts have suspended.
local worker = require("tinn.worker")
local net = require("tinn.net")

local listener = assert(net.tcp.listen("127.0.0.1", 0))
local w = worker.spawn([[
  local worker = require("tinn.worker")
  local net = require("tinn.net")
  local control = assert(net.tcp.connect("127.0.0.1", ..., { timeout = 5000 }))
  assert(control:read("l") == "full", "the parent says our queue is full")
  local expected, inOrder = 1, true
  for _ = 1, 1000 do
    if worker.receive() ~= expected then inOrder = false end
    expected = expected + 1
  end
  local posted = 0
  spawn(function() -- first runs when a post below suspends: the parent's queue is full
    assert(control:write(posted .. "\n"))
  end)
  for i = 1, 1000 do worker.post(i) posted = i end -- the parent reads late too
  control:close()
  return inOrder
]], { args = listener.port })

local posted, postedWhenSuspended, control = 0, nil, nil
spawn(function() -- first runs when a post below suspends: the worker's queue is full
  postedWhenSuspended = posted
  control = assert(listener:accept(5000))
  assert(control:write("full\n"))
end)
for i = 1, 1000 do
  assert(w:post(i) == true, "post succeeds")
  posted = i
end
print("posting suspended after", postedWhenSuspended, "while another task ran")
-- wait until the worker's posts suspend on our full queue, then read
print("the worker's posting suspended after", control:read("l", 5000))
local got, inOrder = 0, true
for i = 1, 1000 do
  if w:receive() ~= i then inOrder = false end
  got = got + 1
end
print("received", got, "in order", inOrder)
print("worker saw them in order", w:join())
print("after the end", w:receive())
print("post to ended worker", w:post("late"))
control:close()
listener:close()
