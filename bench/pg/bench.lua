-- PostgreSQL round trips through tinn.pg (bench/pg/run.sh starts the server and compares with
-- Node's pg on the same one). Prints: sequential-queries/s concurrent-queries/s.
--   tinn bench/pg/bench.lua URL [queries] [tasks] [pool]
local sql = require("tinn.sql")
local url = assert(arg[1], "usage: tinn bench/pg/bench.lua URL [queries] [tasks] [pool]")
local QUERIES, TASKS, POOL = tonumber(arg[2] or 10000), tonumber(arg[3] or 100), tonumber(arg[4] or 4)
local db = assert(sql.open(url, { pool = POOL }))

-- warm the pool and the prepared statement on every connection
local warm = {}
for i = 1, POOL do warm[i] = spawn(function() for _ = 1, 50 do assert(db:first("SELECT $1::int AS n", i)) end end) end
for i = 1, POOL do warm[i]:join() end

local started = tinn.now()
for i = 1, QUERIES do
  local row = db:first("SELECT $1::int AS n", i)
  if row.n ~= i then error("wrong answer") end
end
local sequential = QUERIES / ((tinn.now() - started) / 1000)

local per = math.floor(QUERIES / TASKS)
started = tinn.now()
local tasks = {}
for t = 1, TASKS do
  tasks[t] = spawn(function()
    for i = 1, per do
      local row = db:first("SELECT $1::int AS n", i)
      if row.n ~= i then error("wrong answer") end
    end
  end)
end
for t = 1, TASKS do tasks[t]:join() end
local concurrent = (per * TASKS) / ((tinn.now() - started) / 1000)
print(string.format("%.0f %.0f", sequential, concurrent))
db:close()
