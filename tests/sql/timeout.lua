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
