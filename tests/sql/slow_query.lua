-- A slow query runs on its connection's thread: the scheduler keeps running other tasks, so a
-- 10 ms periodic keeps ticking all through it.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:"))
local ticks = 0
local ticker = periodic(function() ticks = ticks + 1 end, 10)
local started = tinn.now()
-- about two seconds of work on this machine; the test only needs "long"
local row = assert(db:first([[
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000000)
  SELECT count(*) AS n FROM c]]))
local elapsed = tinn.now() - started
ticker:cancel()
print("rows counted", row.n)
print("query took at least 300 ms", elapsed >= 300)
-- a stalled scheduler would tick at most once or twice (when the query returns)
local expected = elapsed / 10
print("periodic kept ticking", ticks >= expected / 4, ticks >= 20)
if ticks < expected / 4 then print("ticks", ticks, "elapsed", elapsed) end
