-- Fan-out/fan-in: jobs are spread over 4 workers (from a file), results gathered and checked.
local worker = require("tinn.worker")

local WORKERS, JOBS = 4, 400
local pool = {}
for i = 1, WORKERS do
  pool[i] = worker.spawn("worker/lib/squarer.lua", { args = { scale = 10 }, name = "squarer " .. i })
end
assert(pool[1].name == "squarer 1", "name is kept")

-- A feeder task per worker posts its share of jobs while the main task collects.
for i, w in ipairs(pool) do
  spawn(function()
    for job = i, JOBS, WORKERS do w:post({ job = job }) end
    w:post("done")
  end)
end

local results, seen = {}, 0
local collectors = {}
for i, w in ipairs(pool) do
  collectors[i] = spawn(function()
    while true do
      local reply = w:receive()
      if reply == nil then break end -- the worker ended and its queue is empty
      results[reply.job] = reply.value
      seen = seen + 1
    end
  end)
end
local handled = 0
for i, w in ipairs(pool) do
  local count, id = w:join()
  assert(id == w.id, "worker.id matches handle.id")
  handled = handled + count
  collectors[i]:join()
end

local wrong = 0
for job = 1, JOBS do
  if results[job] ~= job * job * 10 then wrong = wrong + 1 end
end
print("results", seen, "wrong", wrong, "handled", handled)
for _, w in ipairs(pool) do io.write(w:status(), " ") end
print()
