-- 10,000 queries from 1,000 tasks over a pool of 4: every answer right, all four connections
-- used, never more, and queries overlap (a slow one does not hold up the rest).
local sql = require("tinn.sql")
local db = assert(sql.open(os.getenv("PG_URL"), { pool = 4 }))

local TASKS, PER_TASK = 1000, 10
local wrong, failed, done = 0, 0, 0
local backends = {}
local tasks = {}
for t = 1, TASKS do
  tasks[t] = spawn(function()
    for q = 1, PER_TASK do
      local n = t * 100 + q
      local row, err = db:first("SELECT $1::int * 2 AS doubled, pg_backend_pid() AS pid", n)
      if not row then
        failed = failed + 1
        if failed == 1 then print("first failure", err) end
      else
        if row.doubled ~= n * 2 then wrong = wrong + 1 end
        backends[row.pid] = true
      end
      done = done + 1
    end
  end)
end
for _, task in ipairs(tasks) do task:join() end
local connections = 0
for _ in pairs(backends) do connections = connections + 1 end
print("queries", done, "wrong", wrong, "failed", failed)
print("connections used", connections)

-- while one connection sleeps in the server, the other three keep answering
local slow = spawn(function() return db:first("SELECT 'yes' AS slept FROM pg_sleep(1)") end)
sleep(50)
local started = tinn.now()
for _ = 1, 100 do assert(db:first("SELECT 1 AS one")) end
print("fast queries went around the slow one", tinn.now() - started < 900)
print("slow one", slow:join().slept)
db:close()
