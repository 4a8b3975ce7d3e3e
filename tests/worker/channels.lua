-- worker.channel(): two connected ends that can be sent to workers, so workers talk directly.
local worker = require("tinn.worker")

-- a producer and a consumer worker joined by a channel; the parent only starts them
local a, b = worker.channel(8)
print(a, b)
local producer = worker.spawn([[
  local worker = require("tinn.worker")
  local out = worker.args.out
  for i = 1, 10000 do out:post(i) end
  out:post({ done = true })
  return "sent"
]], { args = { out = a }, name = "producer" })
local consumer = worker.spawn([[
  local worker = require("tinn.worker")
  local inbox = worker.args.inbox
  local sum, count, inOrder, last = 0, 0, true, 0
  while true do
    local n = inbox:receive()
    if type(n) == "table" then break end
    if n ~= last + 1 then inOrder = false end
    last, sum, count = n, sum + n, count + 1
  end
  return count, sum, inOrder
]], { args = { inbox = b }, name = "consumer" })
print("moved into the workers", a, b)
print("producer", producer:join())
print("consumer", consumer:join())

-- in one program: timeouts, a full queue, close
local x, y = worker.channel(1)
print("receive timeout", x:receive(10))
print("post", (x:post("one")))
print("post to a full queue times out", x:post("two", 10))
print("nothing lost", y:receive(), y:receive(10))
local buf = worker.buffer("kept")
x:post("fill")
print("post with a buffer times out", x:post({ buf }, 10))
print("the buffer came back", buf.moved, buf:tostring())
print(y:receive())
x:post("last words")
x:close()
print("after close", y:receive(), y:receive())
print("post to a closed end", y:post("anyone?"))
print(pcall(x.receive, x))
print(pcall(x.post, x, 1))

-- ends that cannot move
local p, q = worker.channel()
print(pcall(p.post, p, p))
print(pcall(p.post, p, { q }))  -- q would land in its own queue
local r, s = worker.channel()
local waiting = spawn(function() return s:receive() end)
yield()
print(pcall(p.post, p, { s }))
waiting:cancel()
print("after the receiver is gone", p:post({ end_ = s }), s)
print(pcall(s.receive, s))
print("moved along", q:receive().end_)
print(pcall(worker.channel, 0))
print(pcall(worker.channel, 1.5))
print(pcall(worker.channel, "8"))
