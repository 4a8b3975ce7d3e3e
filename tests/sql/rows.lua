-- db:rows streams a result in batches through a cursor on the connection's thread: every row
-- arrives once, other queries run between batches, a loop left with `break` releases its
-- cursor when collected, and a failing query raises at the loop.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:"))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
local ins = assert(db:prepare("INSERT INTO t (v) VALUES (?)"))
db:transaction(function() for i = 1, 1000 do assert(ins:run(i)) end end)

local n, sum = 0, 0
for row in db:rows("SELECT v FROM t ORDER BY id") do n = n + 1; sum = sum + row.v end
print("streamed", n, sum)

-- a query per row, between the batches of the outer cursor
local total = 0
for row in db:rows("SELECT id FROM t WHERE id <= ?", 600) do
  total = total + db:first("SELECT v FROM t WHERE id = ?", row.id).v
end
print("nested queries", total)

-- two cursors read in turns
local a, b = db:rows("SELECT v FROM t ORDER BY v"), db:rows("SELECT v FROM t ORDER BY v DESC")
local pairsSeen = 0
for _ = 1, 700 do
  local x, y = a(), b()
  if x.v + y.v == 1001 then pairsSeen = pairsSeen + 1 end
end
print("interleaved cursors", pairsSeen)

-- leave many loops early; the cursors are dropped with their iterators
for _ = 1, 50 do
  for row in db:rows("SELECT v FROM t") do if row.v > 300 then break end end
end
a, b = nil, nil
collectgarbage(); collectgarbage()
print("write after abandoned cursors", db:run("UPDATE t SET v = v + 1"))

-- on a file: an abandoned cursor holds a read snapshot that blocks a full checkpoint until
-- its iterator is collected
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-sql"))
local url = "sqlite:" .. dir .. "/rows.db"
local file, other = assert(sql.open(url)), assert(sql.open(url))
assert(file:exec([[CREATE TABLE t (v);
  INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c]]))
local function checkpointBusy() return other:first("PRAGMA wal_checkpoint(TRUNCATE)").busy end
do
  local it = file:rows("SELECT v FROM t")
  it()
  assert(file:run("INSERT INTO t VALUES (4)"))
  print("checkpoint while a cursor is open: busy", checkpointBusy())
end
collectgarbage(); collectgarbage()
file:first("SELECT 1") -- the close went ahead of this on the connection's queue
print("checkpoint after it was collected: busy", checkpointBusy())
assert(file:close()); assert(other:close())
assert(fs.remove(dir, { recursive = true }))

-- rows of a statement, with parameters
local stmt = assert(db:prepare("SELECT v FROM t WHERE v > ? ORDER BY v"))
local got = {}
for row in stmt:rows(998) do got[#got + 1] = row.v end
print("statement rows", table.concat(got, ","))

-- an empty result ends at once; a failure raises where the loop asks for rows
for _ in db:rows("SELECT v FROM t WHERE 0") do print("never") end
print(pcall(function() for _ in db:rows("SELECT * FROM nope") do end end))
assert(db:close())
print(pcall(function() for _ in db:rows("SELECT 1") do end end))
