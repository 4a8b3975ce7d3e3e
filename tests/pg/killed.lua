-- The server is stopped (immediate mode, as a crash) while a query runs: the task gets an
-- error saying the connection was lost. Once the server is back, the same db works again:
-- the pool replaced its dead connections. (tests/pg.rs stops and restarts the server.)
local sql = require("tinn.sql")
local db = assert(sql.open(os.getenv("PG_URL"), { pool = 3 }))
-- open all three connections, so each of them dies with the server
local warm = {}
for i = 1, 3 do warm[i] = spawn(function() return db:first("SELECT pg_sleep(0.1)") end) end
for i = 1, 3 do warm[i]:join() end

-- and a LISTEN connection, which must come back by itself
local listener = assert(sql.open(os.getenv("PG_URL")))
assert(listener:listen("back"))

-- "querying" once the server runs the query (the test's handshake to stop the server under it)
spawn(function()
  local running = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'"
  repeat sleep(10) until listener:first(running).n > 0
  print("querying")
  io.stdout:flush()
end)
local rows, err = db:query("SELECT pg_sleep(30)")
print("query failed", rows, err:find("the pool opens a new one for the next call", 1, true) ~= nil)

-- calls fail while the server is down, then succeed once it is back
local answer
local deadline = tinn.now() + 30000
repeat
  local row = db:first("SELECT 42 AS answer")
  if row then answer = row.answer break end
  sleep(100)
until tinn.now() > deadline
print("recovered", answer)

-- every connection of the pool works again
local tasks = {}
for i = 1, 6 do tasks[i] = spawn(function() return db:first("SELECT $1::int AS i, pg_sleep(0.05)", i).i end) end
local sum = 0
for i = 1, 6 do sum = sum + tasks[i]:join() end
print("pool", sum)

-- the LISTEN connection reconnected: a NOTIFY sent now arrives (sent until one does, since
-- the reconnect may still be under way)
local heard
local sender = spawn(function()
  while not heard do
    db:run("SELECT pg_notify('back', 'again')")
    sleep(100)
  end
end)
heard = waitSignal("pg:back", 20000)
print("notify after the restart", heard)
sender:join()
assert(listener:unlisten("back"))
db:close()
