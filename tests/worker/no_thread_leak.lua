-- 100 workers started (25 at a time) and joined leave no thread and no descriptor behind.
local worker = require("tinn.worker")

local function count(dir)
  local n = 0
  local p = assert(io.popen("ls /proc/" .. tostring(require("ffi").C.getpid()) .. "/" .. dir))
  for _ in p:lines() do n = n + 1 end
  p:close()
  return n
end
require("ffi").cdef("int getpid(void);")

local threadsBefore, fdsBefore = count("task"), count("fd")
local total = 0
for round = 1, 4 do
  local batch = {}
  for i = 1, 25 do
    batch[i] = worker.spawn("local w = require('tinn.worker') w.post(w.receive() * 2) return w.id", { args = round })
  end
  for i, w in ipairs(batch) do w:post(i) end
  for i, w in ipairs(batch) do
    assert(w:receive() == i * 2, "reply")
    assert(w:join() == w.id, "join returns the id")
    total = total + 1
  end
end
-- a thread ends just after it reports (and closes its event loop's descriptors on the way);
-- give the last ones a moment
local threads, fds
local settled = waitFor(function()
  threads, fds = count("task"), count("fd")
  return threads <= threadsBefore and fds <= fdsBefore
end, 3000)
print("workers joined", total)
print("threads back to", threads <= threadsBefore and "baseline" or ("+" .. (threads - threadsBefore)))
print("descriptors back to", fds <= fdsBefore and "baseline" or ("+" .. (fds - fdsBefore)))
print("settled", settled)
