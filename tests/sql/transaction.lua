-- transaction(fn) commits on return, rolls back when fn raises and re-raises the same error;
-- nested transactions are savepoints; other tasks wait until the transaction ends.
local sql = require("tinn.sql")
local db = assert(sql.open("sqlite::memory:"))
assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
local function count() return db:first("SELECT count(*) AS c FROM t").c end

print("commit", db:transaction(function(tx)
  assert(tx:run("INSERT INTO t (v) VALUES ('a')"))
  assert(tx:run("INSERT INTO t (v) VALUES ('b')"))
  return "done", 2
end), count())

local ok, err = pcall(db.transaction, db, function(tx)
  assert(tx:run("INSERT INTO t (v) VALUES ('c')"))
  error("boom")
end)
print("rolled back", ok, err, count())

-- a table error passes through unchanged
local marker = { code = 7 }
ok, err = pcall(db.transaction, db, function(tx) tx:run("DELETE FROM t"); error(marker) end)
print("error object kept", ok, err == marker, count())

-- an SQL failure inside, raised by assert, rolls back too
ok, err = pcall(db.transaction, db, function(tx)
  assert(tx:run("INSERT INTO t (v) VALUES ('d')"))
  assert(tx:run("INSERT INTO t (id, v) VALUES (1, 'dup')"))
end)
print("constraint", ok, err, count())

-- nested: the inner failure undoes only the inner part
db:transaction(function(tx)
  assert(tx:run("INSERT INTO t (v) VALUES ('outer')"))
  print("inner", pcall(tx.transaction, tx, function(inner)
    assert(inner:run("INSERT INTO t (v) VALUES ('inner')"))
    error("inner fails", 0)
  end))
end)
print("after nested", count(), db:first("SELECT count(*) AS c FROM t WHERE v = 'inner'").c)

-- another task's call waits for the transaction to end; it never sees half of it
local seen
db:transaction(function(tx)
  assert(tx:run("INSERT INTO t (v) VALUES ('x1')"))
  spawn(function() seen = count() end)
  sleep(20)
  assert(tx:run("INSERT INTO t (v) VALUES ('x2')"))
end)
waitFor(function() return seen ~= nil end, 2000)
print("other task saw", seen, count())

-- a prepared statement made on db joins the transaction when the transaction's task uses it
local ins = assert(db:prepare("INSERT INTO t (v) VALUES (?)"))
pcall(db.transaction, db, function() assert(ins:run("stmt")); error("undo") end)
print("statement rolled back", db:first("SELECT count(*) AS c FROM t WHERE v = 'stmt'").c)
print("bad argument", pcall(db.transaction, db, 42))

-- a task cancelled inside its transaction: the transaction is rolled back and the db freed
local inserted = false
local inside = spawn(function()
  db:transaction(function(tx)
    assert(tx:run("INSERT INTO t (v) VALUES ('cancelled')"))
    inserted = true
    sleep(10000)
  end)
end)
waitFor(function() return inserted end, 5000)
inside:cancel()
print("after a cancelled transaction", db:first("SELECT count(*) AS c FROM t WHERE v = 'cancelled'").c,
  db:transaction(function(tx) return "free" end))
