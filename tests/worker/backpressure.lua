-- A full queue (256 messages) suspends only the posting task: other tasks keep running, and
-- every message arrives, in order, once the worker reads. Same for the worker posting to us.
local worker = require("tinn.worker")

local w = worker.spawn([[
  local worker = require("tinn.worker")
  sleep(100) -- let the parent fill our queue
  local expected, inOrder = 1, true
  for _ = 1, 1000 do
    if worker.receive() ~= expected then inOrder = false end
    expected = expected + 1
  end
  for i = 1, 1000 do worker.post(i) end -- the parent reads late too
  return inOrder
]])

local ticks, posting = 0, true
spawn(function() while posting do ticks = ticks + 1 sleep(5) end end)
local t0 = tinn.now()
for i = 1, 1000 do assert(w:post(i) == true, "post succeeds") end
posting = false
print("posting waited for the worker", tinn.now() - t0 >= 90, "other task ran meanwhile", ticks > 5)
sleep(100) -- the worker's posts now block on our full queue
local got, inOrder = 0, true
for i = 1, 1000 do
  if w:receive() ~= i then inOrder = false end
  got = got + 1
end
print("received", got, "in order", inOrder)
print("worker saw them in order", w:join())
print("after the end", w:receive())
print("post to ended worker", w:post("late"))
