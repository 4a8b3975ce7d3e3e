-- runMany runs one statement for many parameter rows in a single request, all or nothing.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:"))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, b)"))
print("inserted", db:runMany("INSERT INTO t (v, b) VALUES (?, ?)",
  { { "a", sql.blob("x") }, { "b", 2LL }, { n = 2, "c", nil } }))
print("typeof", db:first("SELECT group_concat(typeof(b)) AS t FROM t").t)

-- a failing row undoes the rows before it and is named in the message
print("failing row", db:runMany("INSERT INTO t (v) VALUES (?)", { { "d" }, { n = 1, nil }, { "e" } }))
print("still", db:first("SELECT count(*) AS c FROM t").c)
print("wrong width", db:runMany("INSERT INTO t (v) VALUES (?)", { { "d" }, { "x", "y" } }))
print(pcall(db.runMany, db, "INSERT INTO t (v) VALUES (?)", { 1 }))
print(pcall(db.runMany, db, "INSERT INTO t (v) VALUES (?)", "x"))
print("empty list", (db:runMany("INSERT INTO t (v) VALUES (?)", {})))

-- inside a transaction it is part of it
print(pcall(db.transaction, db, function(tx)
  assert(tx:runMany("INSERT INTO t (v) VALUES (?)", { { "f" }, { "g" } }))
  error("undo", 0)
end))
print("after rollback", db:first("SELECT count(*) AS c FROM t").c)

-- a prepared statement, many rows
local ins = assert(db:prepare("INSERT INTO t (v) VALUES (?)"))
local list = {}
for i = 1, 10000 do list[i] = { "row" .. i } end
print("statement", ins:runMany(list))
-- a list with a metatable is read as Lua sees it (drivers read a list raw)
local proxy = setmetatable({}, { __len = function() return 2 end, __index = function(_, i) return { "proxy" .. i } end })
print("proxy list", db:runMany("INSERT INTO t (v) VALUES (?)", proxy))
print("total", db:first("SELECT count(*) AS c FROM t").c)
-- rows wider, and text longer, than runMany first makes room for; NULLs through `n`
local columns, marks, wide = {}, {}, { n = 40 }
for i = 1, 40 do columns[i], marks[i], wide[i] = "c" .. i, "?", i % 3 == 0 and string.rep("x", 5000 * i) or nil end
assert(db:exec("CREATE TABLE wide (" .. table.concat(columns, ", ") .. ")"))
print("wide rows", db:runMany("INSERT INTO wide VALUES (" .. table.concat(marks, ", ") .. ")", { wide, wide, wide }))
local stored = db:first("SELECT count(*) AS n, sum(length(c39)) AS c39, count(c40) AS c40 FROM wide")
print("wide stored", stored.n, stored.c39, stored.c40)
assert(db:close())
