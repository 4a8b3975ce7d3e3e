-- SQLite benchmark (DESIGN §6): 100k inserts in one transaction, then 100k point selects,
-- through tinn.sql with prepared statements. bench/run runs the same work in rusqlite from Rust
-- (bench/peers/src/bin/rusqlite-bench.rs) and prints the ratios.
-- Also the same inserts as one stmt:runMany (a single request to the connection's thread).
-- Usage: tinn bench/sql.lua <db file> <rows>. Prints "<inserts/s> <runMany inserts/s> <point selects/s>".
local sql = require("tinn.sql")
local path = assert(arg[1], "usage: tinn bench/sql.lua <db file> <rows>")
local rows = tonumber(arg[2] or "100000")

local db = assert(sql.open("sqlite:" .. path))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)"))

local clock = tinn.now
local started = clock()
local insert = assert(db:prepare("INSERT INTO t (id, name, score) VALUES (?, ?, ?)"))
db:transaction(function()
  for i = 1, rows do assert(insert:run(i, "name" .. i, i * 0.5)) end
end)
local inserts = rows / ((clock() - started) / 1000)

-- the same rows again, into a second table, in one runMany (the list is built before timing)
assert(db:exec("CREATE TABLE t2 (id INTEGER PRIMARY KEY, name TEXT, score REAL)"))
local list = {}
for i = 1, rows do list[i] = { i, "name" .. i, i * 0.5 } end
-- rusqlite's timed transaction starts on an empty write-ahead log and ends below SQLite's
-- 1000-page checkpoint; the rows of t would make this commit copy both tables into the db file.
assert(db:first("PRAGMA wal_checkpoint(TRUNCATE)"))
started = clock()
assert(db:runMany("INSERT INTO t2 (id, name, score) VALUES (?, ?, ?)", list))
local batched = rows / ((clock() - started) / 1000)
list = nil

started = clock()
local select = assert(db:prepare("SELECT id, name, score FROM t WHERE id = ?"))
local checksum = 0
for i = 1, rows do
  local id = (i * 7919) % rows + 1
  local row = assert(select:first(id))
  checksum = checksum + row.id + #row.name
end
local selects = rows / ((clock() - started) / 1000)
assert(checksum > 0, "no rows read")
assert(db:close())
print(string.format("%.0f %.0f %.0f", inserts, batched, selects))
