-- A second tinn process writes the same file while this one writes and reads: both sets of
-- rows arrive, none lost, neither process fails with SQLITE_BUSY.
local sql = require("tinn.sql")
local fs = require("tinn.fs")
local process = require("tinn.process")
local dir = assert(fs.tempdir("tinn-sql"))
local path = dir .. "/shared.db"

local db = assert(sql.open("sqlite:" .. path))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT, n INTEGER)"))

local child = [[
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite:" .. arg[1]))
for i = 1, 500 do
  db:transaction(function(tx) assert(tx:run("INSERT INTO t (who, n) VALUES ('child', ?)", i)) end)
end
print("child wrote", db:first("SELECT count(*) AS c FROM t WHERE who = 'child'").c)
]]
assert(fs.writeFile(dir .. "/child.lua", child))
local done
spawn(function()
  local status, out, err = process.exec(arg[-1], dir .. "/child.lua", path)
  done = { status = status, out = out, err = err }
end)
for i = 1, 500 do
  db:transaction(function(tx) assert(tx:run("INSERT INTO t (who, n) VALUES ('parent', ?)", i)) end)
  if i == 250 then
    -- make sure the two processes really overlap: wait for the child's first row
    local waited = 0
    while db:first("SELECT count(*) AS c FROM t WHERE who = 'child'").c == 0 and waited < 30000 do
      sleep(5); waited = waited + 5
    end
  end
end
waitFor(function() return done ~= nil end, 60000)
io.write("child: ", tostring(done.status), " ", done.out, done.err)
for _, row in ipairs(assert(db:query("SELECT who, count(*) AS c, count(DISTINCT n) AS d FROM t GROUP BY who ORDER BY who"))) do
  print(row.who, row.c, row.d)
end
assert(db:close())
assert(fs.remove(dir, { recursive = true }))
