-- Failures are values naming the operation and the SQLSTATE; a password never shows.
local sql = require("tinn.sql")
local url = os.getenv("PG_URL")
local port = os.getenv("PG_PORT")
local db = assert(sql.open(url, { pool = 2 }))
-- the server's port changes from run to run
local function portless(a, b) return a, (tostring(b):gsub("127%.0%.0%.1:" .. port .. "/", "127.0.0.1:PORT/")) end

print(db:query("SELECT * FROM no_such_table"))
print(db:query("SELEC 1"))
print(db:run("INSERT INTO no_such_table VALUES ($1)", 1))
print(db:exec("CREATE TABLE e (id int PRIMARY KEY); INSERT INTO e VALUES (1); INSERT INTO e VALUES (1)"))
print(db:first("SELECT $1::int AS a, $2::int AS b", 1))
print(db:first("SELECT $1::int AS a", "not a number"))
print(db:first("SELECT $1::text AS a", "\255\254"))
print(db:first("SELECT $1::int AS a", sql.blob("x")))
print(db:first("SELECT $1::int[] AS a", { a = 1 }))
print(db:prepare("SELECT nonsense FROM"))
print(pcall(db.query, db, 42))
-- the statements ran as one implicit transaction: the table is gone with the failed insert
print(db:exec("DROP TABLE e"))

-- every call still works after all that
print("still fine", db:first("SELECT 1 AS one").one)

-- a call that runs past its timeout returns nil, "timeout"; the server cancels the query and
-- the pool goes on
db:settimeout(200)
local started = tinn.now()
print(db:query("SELECT pg_sleep(5)"))
print("returned early", tinn.now() - started < 2000)
db:settimeout(nil)
print("after the timeout", db:first("SELECT 2 AS two").two)
local function sleeping()
  return db:first("SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'").n
end
local deadline = tinn.now() + 3000
while sleeping() > 0 and tinn.now() < deadline do sleep(50) end
print("cancelled on the server", sleeping() == 0)

-- wrong password, unreachable server, bad URL: the URL is shown without its password
local wrong = url:gsub(":[^:@/]+@", ":hunter2@")
local _, err = sql.open(wrong)
print(select(2, portless(nil, err)))
print("password hidden", not err:find("hunter2", 1, true))
print(sql.open("postgres://app:pw@127.0.0.1:1/db"))
print(portless(sql.open("postgres://app:pw@127.0.0.1:" .. port .. "/db?sslmode=bogus")))
print(portless(sql.open("postgres://postgres:pw@127.0.0.1:" .. port .. "/db?password=hunter2&application_name=x")))
print(pcall(sql.open, url, { pool = 0 }))

-- a closed db
db:close()
print(db:query("SELECT 1"))
print(db:close())
