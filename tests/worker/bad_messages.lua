-- Values that cannot cross threads raise at the caller's line, naming where they sit.
local worker = require("tinn.worker")

local w = worker.spawn("local worker = require('tinn.worker') return worker.receive()")

local function try(label, fn, ...)
  local ok, err = pcall(fn, ...)
  local text = tostring(err):gsub("^[^:]+:%d+: ", "")
  if #text > 110 then text = text:sub(1, 110) .. "..." end
  print(label, ok, text)
end

try("function", w.post, w, { handlers = { 1, print } })
try("top-level function", w.post, w, print)
local cycle = { a = { b = {} } }
cycle.a.b.c = cycle.a
try("cycle", w.post, w, cycle)
local selfish = {}
selfish[1] = selfish
try("self", w.post, w, selfish)
try("coroutine", w.post, w, { co = coroutine.create(function() end) })
try("userdata", w.post, w, { ["odd key"] = { io.stdout } })
try("function key", w.post, w, { [print] = 1 })
local deep = {}
local t = deep
for _ = 1, 300 do t.next = {} t = t.next end
try("too deep", w.post, w, deep)
try("spawn args", worker.spawn, "return 1", { args = { f = print } })
try("spawn source", worker.spawn, 42)
try("spawn options", worker.spawn, "return 1", "oops")
try("receive timeout", w.receive, w, -1)
try("receive outside", worker.receive)
try("post outside", worker.post, 1)
-- the line an error points at is the caller's
local ok, err = pcall(function() w:post(print) end)
print("blames caller", err:match("^[^:]+:(%d+):") == tostring(debug.getinfo(1, "l").currentline - 1))
-- the handle still works after refused messages
w:post("fine")
print("after errors", w:join())
