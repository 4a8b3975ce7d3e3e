-- Every value type goes in and comes back out unchanged: NULL, booleans (stored as 0/1),
-- integers at the 64-bit edges (int64_t cdata beyond ±2^53, never rounded), floats, text with
-- NULs and UTF-8, blobs, JSON from a Lua table; rows.columns keeps the SELECT's order.
local sql = require("tinn.sql")
local json = require("tinn.json")
local ffi = require("ffi")

local db = assert(sql.open("sqlite::memory:"))
assert(db:exec("CREATE TABLE v (k TEXT PRIMARY KEY, x)"))
local put = assert(db:prepare("INSERT INTO v (k, x) VALUES (?, ?)"))
local get = assert(db:prepare("SELECT x, typeof(x) AS t FROM v WHERE k = ?"))

local function roundTrip(name, value)
  assert(put:run(name, value))
  local row = assert(get:first(name), "row " .. name)
  return row.x, row.t
end

-- NULL
local x, t = roundTrip("nil", nil)
print("nil", x, t)

-- booleans are integers in SQLite
x, t = roundTrip("true", true);  print("true", x, t)
x, t = roundTrip("false", false); print("false", x, t)

-- integers: small, at ±2^53, beyond (cdata), at the int64 edges
for _, v in ipairs({ 0, -1, 42, 2^53, -2^53 }) do
  x, t = roundTrip("i" .. tostring(v), v)
  print("int", string.format("%.0f", v), type(x), string.format("%.0f", x), t)
end
for _, big in ipairs({ 9007199254740993LL, -9007199254740993LL, 9223372036854775807LL, -9223372036854775807LL - 1 }) do
  x, t = roundTrip("big" .. tostring(big), big)
  print("int64", tostring(big), type(x), tostring(x), t, x == big)
end
-- a uint64_t within range binds; beyond int64 it is refused, not wrapped
x, t = roundTrip("u", 12345ULL); print("uint64", tostring(x), t)
print("uint64 overflow", put:run("u2", 18446744073709551615ULL))

-- floats keep every bit
for _, v in ipairs({ 1.5, -0.1, 1e300, 2^-1074 }) do
  x, t = roundTrip("f" .. v, v)
  print("float", string.format("%.17g", v), x == v, t)
end

-- text: UTF-8 and an embedded NUL survive
x, t = roundTrip("text", "héllo\0wörld")
print("text", #x, x == "héllo\0wörld", t)
x, t = roundTrip("empty", "")
print("empty text", x == "", t)

-- blobs: binary in, the same bytes out as a Lua string
local bytes = {}
for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
bytes = table.concat(bytes)
x, t = roundTrip("blob", sql.blob(bytes))
print("blob", #x, x == bytes, t, sql.isBlob(sql.blob("")), sql.isBlob("s"))

-- JSON: a table parameter is stored as JSON text; json.decode reads it back
x, t = roundTrip("json", { name = "tinn", tags = { "lua", "jit" } })
local decoded = json.decode(x)
print("json", t, decoded.name, decoded.tags[2])
print("json1", db:first("SELECT json_extract(x, '$.tags[0]') AS tag FROM v WHERE k = 'json'").tag)

-- computed values come back with their types
local row = assert(db:first("SELECT 1 AS one, 2.5 AS half, 'a' AS a, NULL AS n, x'0001' AS b"))
print("computed", row.one, row.half, row.a, row.n, #row.b)

-- rows.columns keeps the order of the SELECT, not of a hash table
local rows = assert(db:query("SELECT 1 AS zeta, 2 AS alpha, 3 AS mid, NULL AS last"))
print("columns", table.concat(rows.columns, ","), #rows, rows[1].zeta, rows[1].last)
rows = assert(db:query("SELECT x FROM v WHERE 0"))
print("no rows", #rows, table.concat(rows.columns, ","))

-- placeholders: ?, ?NNN and :name bind by position
print("?NNN", db:first("SELECT ?2 AS b, ?1 AS a", "first", "second").b)
print(":name", db:first("SELECT :a || :b AS ab", "x", "y").ab)

-- rows() streams every row
local n = 0
for r in db:rows("SELECT k FROM v ORDER BY k") do n = n + 1 end
print("rows()", n, #assert(db:query("SELECT k FROM v")))
assert(db:close())
