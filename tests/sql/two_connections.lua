-- Two connections to one file: in WAL mode a reader is not blocked by an open write
-- transaction and sees the last committed state; two writers take turns on the busy timeout.
local sql = require("tinn.sql")
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-sql"))
local url = "sqlite:" .. dir .. "/shared.db"

local writer = assert(sql.open(url))
local reader = assert(sql.open(url))
print("journal mode", writer:first("PRAGMA journal_mode").journal_mode)
assert(writer:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
assert(writer:run("INSERT INTO t (who) VALUES ('before')"))

local duringWrite
writer:transaction(function(tx)
  assert(tx:run("INSERT INTO t (who) VALUES ('inside')"))
  -- the reader runs while the write transaction is open, and is not blocked by it
  duringWrite = reader:first("SELECT count(*) AS c FROM t").c
end)
print("reader during the write", duringWrite)
print("reader after the commit", reader:first("SELECT count(*) AS c FROM t").c)

-- two connections writing at once from many tasks: none fails with SQLITE_BUSY, none is lost
local other = assert(sql.open(url))
local tasks = {}
for i = 1, 20 do
  local db = i % 2 == 0 and writer or other
  tasks[i] = spawn(function()
    for j = 1, 10 do
      db:transaction(function(tx) assert(tx:run("INSERT INTO t (who) VALUES (?)", "task" .. i)) end)
    end
    return true
  end)
end
local good = 0
for i = 1, 20 do if tasks[i]:join() then good = good + 1 end end
print("writer tasks done", good, "rows", reader:first("SELECT count(*) AS c FROM t WHERE who LIKE 'task%'").c)
for _, db in ipairs({ writer, reader, other }) do assert(db:close()) end
assert(fs.remove(dir, { recursive = true }))
