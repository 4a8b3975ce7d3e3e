-- worker.buffer: bytes for ffi code that a message moves to another worker without copying.
local worker = require("tinn.worker")
local ffi = require("ffi")

local function address(ptr) return tonumber(ffi.cast("uintptr_t", ptr)) end

local buf = worker.buffer(1024 * 1024)
print(buf, buf.size, #buf, buf.moved, buf.ptr[0], buf.ptr[1024 * 1024 - 1])
ffi.copy(buf.ptr, "hello")
print(buf:tostring(0, 5), #buf:tostring(), buf:tostring(1, 2))
print(worker.buffer("a\0b"):tostring() == "a\0b", worker.buffer(0).size)

-- moved to a worker and back: the same memory, no copy
local w = worker.spawn([[
  local worker = require("tinn.worker")
  local ffi = require("ffi")
  local msg = worker.receive()
  local ptr = msg.frame.ptr
  for i = 0, msg.frame.size - 1 do ptr[i] = (ptr[i] + i) % 256 end
  worker.post({ frame = msg.frame, seen = tonumber(ffi.cast("uintptr_t", ptr)) })
]])
local before = address(buf.ptr)
w:post({ frame = buf, note = "moved" })
print("after post", buf, buf.moved, #buf)
print(pcall(function() return buf.ptr end))
print(pcall(function() return buf.size end))
print(pcall(buf.tostring, buf))
local back = w:receive()
print("same memory in the worker", back.seen == before, "and back here", address(back.frame.ptr) == before)
local ok = true
for i = 0, back.frame.size - 1 do
  local want = ((i < 5 and ("hello"):byte(i + 1) or 0) + i) % 256
  if back.frame.ptr[i] ~= want then ok = false end
end
print("worker's writes visible", ok)
w:join()

-- bad input: a clear error, nothing moved
print(pcall(worker.buffer, -1))
print(pcall(worker.buffer, 1.5))
print(pcall(worker.buffer, {}))
print(pcall(worker.buffer, 2 ^ 52))
print(pcall(buf.tostring, back.frame, 1000000, 100000))
local extra = worker.buffer(8)
local w2 = worker.spawn("return")
w2:join()
print("post to an ended worker", w2:post({ extra }))
print("still ours", extra.moved, extra.size)
print(pcall(w2.post, w2, { extra, print }))
print("refused message moved nothing", extra.moved)
print(pcall(w2.post, w2, { extra, extra }))
-- a buffer as a return value, and join twice gives the same one
local w3 = worker.spawn([[ return require("tinn.worker").buffer("made there") ]])
local r1, r2 = w3:join(), w3:join()
print("returned", r1:tostring(), r1 == r2)
