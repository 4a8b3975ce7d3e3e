-- 1,000 tasks query at once; each query suspends only its task, every one gets its own answer.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:"))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, sq INTEGER)"))
local ins = assert(db:prepare("INSERT INTO t (id, sq) VALUES (?, ?)"))
db:transaction(function() for i = 1, 1000 do assert(ins:run(i, i * i)) end end)

local tasks, good = {}, 0
for i = 1, 1000 do
  tasks[i] = spawn(function()
    for j = 0, 9 do
      local id = (i + j * 97) % 1000 + 1
      local row = assert(db:first("SELECT sq FROM t WHERE id = ?", id))
      if row.sq ~= id * id then error("task " .. i .. " got " .. row.sq .. " for " .. id) end
    end
    return true
  end)
end
for i = 1, 1000 do if tasks[i]:join() then good = good + 1 end end
print("tasks with 10 right answers", good)

-- writers from many tasks: every insert lands exactly once
local writers = {}
for i = 1, 200 do
  writers[i] = spawn(function() return assert(db:run("UPDATE t SET sq = sq + 1 WHERE id = ?", i % 10 + 1)) end)
end
for i = 1, 200 do writers[i]:join() end
print("updates", db:first("SELECT sum(sq) AS s FROM t WHERE id <= 10").s - 385)
