-- opts.timeout bounds every call on the db: a slow query returns nil, "timeout" at once while
-- SQLite finishes it on the connection's thread; the next call then works as usual.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:", { timeout = 50 }))
local slow = [[WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000)
  SELECT count(*) AS n FROM c]]
local started = tinn.now()
print("slow query", db:first(slow))
print("gave up well before the query ended", tinn.now() - started < 1000)
print("next call", db:first("SELECT 41 + 1 AS answer").answer)
print(pcall(sql.open, "sqlite::memory:", { timeout = -1 }))
print(pcall(sql.open, "sqlite::memory:", { busyTimeout = "soon" }))
assert(db:close())

-- inside a transaction a timed-out statement is not interrupted (SQLite would roll the whole
-- transaction back under the script's feet): it finishes, and the rollback waits for it
local file = assert(sql.open("sqlite::memory:", { timeout = 50 }))
assert(file:exec("CREATE TABLE t (v)"))
print(pcall(file.transaction, file, function(tx)
  assert(tx:run("INSERT INTO t VALUES (1)"))
  local rows, err = tx:first(slow)
  error("gave up: " .. tostring(err), 0)
end))
print("rolled back", file:first("SELECT count(*) AS c FROM t").c)
print("committed", file:transaction(function(tx) return tx:run("INSERT INTO t VALUES (2)") end))
print("count", file:first("SELECT count(*) AS c FROM t").c)
assert(file:close())

-- with a rows() loop unfinished, a timed-out statement is not interrupted either (SQLite would
-- keep failing the next statements until the cursor ends); the loop then reads on unharmed
local db2 = assert(sql.open("sqlite::memory:"))
local it = db2:rows("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c")
it()
db2.timeout = 50 -- for the next calls; the loop keeps the no-limit it started with
print("slow with a cursor open", db2:first(slow))
db2.timeout = nil
local n = 1
while true do
  local row = it()
  if not row then break end
  n = n + 1
end
print("cursor read to the end", n)
print("next call", db2:first("SELECT 7 AS seven").seven)
assert(db2:close())
