-- db:transaction commits on return, rolls back when fn raises (and re-raises), nests with
-- savepoints, and holds one pooled connection, so other tasks' calls go on meanwhile.
local sql = require("tinn.sql")
local db = assert(sql.open(os.getenv("PG_URL"), { pool = 2 }))
assert(db:exec("DROP TABLE IF EXISTS accounts; CREATE TABLE accounts (name text PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))"))
assert(db:run("INSERT INTO accounts VALUES ($1, $2), ($3, $4)", "alice", 100, "bob", 0))

local function balances()
  local out = {}
  for row in db:rows("SELECT name, balance FROM accounts ORDER BY name") do
    out[#out + 1] = row.name .. "=" .. row.balance
  end
  return table.concat(out, " ")
end

-- commit
local moved = db:transaction(function(tx)
  assert(tx:run("UPDATE accounts SET balance = balance - $1 WHERE name = $2", 30, "alice"))
  assert(tx:run("UPDATE accounts SET balance = balance + $1 WHERE name = $2", 30, "bob"))
  return 30, "moved"
end)
print("committed", moved, balances())

-- an error inside rolls everything back and reaches the caller
local ok, err = pcall(db.transaction, db, function(tx)
  assert(tx:run("UPDATE accounts SET balance = balance + 1000 WHERE name = 'bob'"))
  error("changed my mind")
end)
print("rolled back", ok, tostring(err):match("changed my mind"), balances())

-- a failing statement (a CHECK violation) inside, raised by assert
ok, err = pcall(db.transaction, db, function(tx)
  assert(tx:run("UPDATE accounts SET balance = balance + 500 WHERE name = 'bob'"))
  assert(tx:run("UPDATE accounts SET balance = balance - 500 WHERE name = 'alice'"))
end)
print("constraint", ok, err, balances())

-- nested: the inner failure rolls back to its savepoint only
db:transaction(function(tx)
  assert(tx:run("UPDATE accounts SET balance = balance + 1 WHERE name = 'alice'"))
  print("inner", pcall(tx.transaction, tx, function(inner)
    assert(inner:run("UPDATE accounts SET balance = 0 WHERE name = 'alice'"))
    error("inner failure", 0)
  end))
end)
print("nested", balances())

-- while a transaction holds a connection, other tasks' calls run on the other one, and they do
-- not see its uncommitted changes
local seen
print(pcall(db.transaction, db, function(tx)
  assert(tx:run("UPDATE accounts SET balance = 0 WHERE name = 'bob'"))
  local other = spawn(function() return db:first("SELECT balance FROM accounts WHERE name = 'bob'").balance end)
  seen = other:join()
  error("undo", 0)
end))
print("other task saw", seen, balances())

-- runMany: one statement per row, pipelined, all or nothing
assert(db:exec("DROP TABLE IF EXISTS many; CREATE TABLE many (id int PRIMARY KEY, label text)"))
local list = {}
for i = 1, 1000 do list[i] = { i, "l" .. i } end
print("runMany", db:runMany("INSERT INTO many VALUES ($1, $2)", list))
print(db:runMany("INSERT INTO many VALUES ($1, $2)", { { 1001, "ok" }, { 5, "dup" }, { 1002, "ok" } }))
print("after the failed runMany", db:first("SELECT count(*) AS n FROM many").n)
-- inside a transaction, a failed runMany undoes its own rows only
db:transaction(function(tx)
  assert(tx:run("INSERT INTO many VALUES (2000, 'kept')"))
  print(tx:runMany("INSERT INTO many VALUES ($1, $2)", { { 2001, "x" }, { 1, "dup" } }))
end)
print("kept", db:first("SELECT count(*) AS n FROM many WHERE id >= 2000").n)
print("NULLs", db:runMany("INSERT INTO many VALUES ($1, $2)", { { n = 2, 3000, nil } }), db:first("SELECT label FROM many WHERE id = 3000").label)
assert(db:exec("DROP TABLE accounts; DROP TABLE many"))
db:close()
