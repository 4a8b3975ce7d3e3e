-- db:rows streams a result in batches over one connection: every row in order, leaving the
-- loop early frees the connection (the pool replaces it), an error part-way raises at the loop.
local sql = require("tinn.sql")
local db = assert(sql.open(os.getenv("PG_URL"), { pool = 1 }))

local count, sum, inOrder, last = 0, 0, true, 0
for row in db:rows("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, $1::int) g ORDER BY g", 10000) do
  count, sum = count + 1, sum + row.n
  if row.n ~= last + 1 then inOrder = false end
  last = row.n
end
print("streamed", count, sum, inOrder)

-- leave the loop after 10 rows of a million; with a pool of one, the next call needs the
-- connection back (or a new one) at once
local seen = 0
for row in db:rows("SELECT g FROM generate_series(1, 1000000) g") do
  seen = seen + 1
  if seen == 10 then break end
end
collectgarbage() collectgarbage()
print("left early after", seen, "then", db:first("SELECT 'next call' AS x").x)

-- an error in the middle of the stream raises at the loop, with the SQLSTATE
local got = 0
local ok, err = pcall(function()
  for _ in db:rows("SELECT 1 / (700 - g) AS x FROM generate_series(1, 1000) g") do got = got + 1 end
end)
print("error part-way", ok, (tostring(err):gsub("^.-: query", "query")), got < 700)
print("still fine", db:first("SELECT 1 AS one").one)

-- empty results and first()
local empty = 0
for _ in db:rows("SELECT 1 WHERE false") do empty = empty + 1 end
print("empty", empty, db:first("SELECT 1 AS x WHERE false"))
print("first of many", db:first("SELECT g FROM generate_series(5, 1000000) g").g)

-- first() on a short result leaves its connection to drain the rest and serve again: no new one
local pid = db:first("SELECT pg_backend_pid() AS p").p
print("first of a few", db:first("SELECT g FROM generate_series(1, 100) g").g)
print("same connection after", db:first("SELECT pg_backend_pid() AS p").p == pid)

-- a whole result of many rows and mixed values (filled into Lua in several calls, the Lua-made
-- values — json, integers beyond 2^53 — among plain ones, NULLs left out of their rows)
local all = assert(db:query([[SELECT g AS n, 'row ' || g AS label,
  CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END AS even,
  json_build_object('g', g) AS doc, 9007199254740993 + g AS big
  FROM generate_series(1, 3000) g ORDER BY g]]))
local allRight = #all == 3000
for i, row in ipairs(all) do
  local even
  if i % 3 ~= 0 then even = i % 2 == 0 end
  if row.n ~= i or row.label ~= "row " .. i or row.even ~= even or row.doc.g ~= i
    or row.big ~= 9007199254740993LL + i then
    allRight = false
  end
end
print("whole result", #all, table.concat(all.columns, ","), allRight, tostring(all[3000].big), all[3].even)


-- the program ends with a loop left early and its cursor not yet collected: the cursor is
-- collected while the Lua state closes, after the event loop has stopped (it panicked there)
local again = db -- keep the db open too
for _ in again:rows("SELECT g FROM generate_series(1, 100000) g") do break end
print("end")
