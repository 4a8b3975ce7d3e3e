-- Every type tinn.pg converts, both ways: bound as $n parameters and read back, and stored in a
-- table and selected. NULLs, 64-bit edges and rows.columns order.
local sql = require("tinn.sql")
local json = require("tinn.json")
local ffi = require("ffi")

local db = assert(sql.open(os.getenv("PG_URL")))

local function show(v)
  if type(v) == "cdata" then return tostring(v) .. " (" .. tostring(ffi.typeof(v)) .. ")" end
  if type(v) == "table" then return json.encode(v, { sortKeys = true }) end
  if type(v) == "string" then
    return '"' .. v:gsub("[%c\128-\255\\]", function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
  end
  if type(v) == "number" then return string.format("%.17g (number)", v) end
  return tostring(v) .. " (" .. type(v) .. ")"
end

-- scalars through parameters
local cases = {
  { "boolean", true }, { "boolean", false },
  { "smallint", -32768 }, { "integer", 2147483647 }, { "bigint", 9007199254740992 },
  { "bigint", 9007199254740993LL }, { "bigint", -9223372036854775807LL - 1 }, { "bigint", 9223372036854775807LL },
  { "bigint", 18446744073709551615ULL / 2 },
  { "real", 1.5 }, { "double precision", 0.1 }, { "double precision", -1e308 },
  { "numeric", "12345678901234567890.000000001" }, { "numeric", 42 }, { "numeric", -0.5 },
  { "text", "héllo\tworld\n" }, { "varchar", "" }, { "char(3)", "ab" },
  { "bytea", sql.blob("\0\1\2\255") }, { "bytea", "raw\0bytes" },
  { "json", { a = 1, b = { "x", "y" } } }, { "jsonb", { nested = { ok = true } } }, { "jsonb", '{"text": "as json"}' },
  { "timestamp", "2024-02-29 13:14:15.5" }, { "timestamptz", "2024-02-29T13:14:15+02:00" },
  { "date", "2024-02-29" }, { "time", "23:59:59.999999" },
  { "uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" },
  { "integer[]", { 1, 2, 3 } }, { "text[]", { "a", "b,c", "" } }, { "boolean[]", { true, false } },
  { "bigint[]", { 1, 2 ^ 53 } }, { "float8[]", {} }, { "integer[]", "{{1,2},{3,4}}" },
}
for _, case in ipairs(cases) do
  local ty, value = case[1], case[2]
  local row, err = db:first("SELECT $1::" .. ty .. " AS v", value)
  if not row then print(ty, "error", err) else print(ty, show(row.v)) end
end

-- NULL in every type, both ways
for _, ty in ipairs({ "boolean", "integer", "bigint", "text", "bytea", "jsonb", "numeric", "timestamptz", "integer[]" }) do
  local row = assert(db:first("SELECT $1::" .. ty .. " AS v, $1::" .. ty .. " IS NULL AS isnull", nil))
  print(ty, "NULL ->", row.v, row.isnull)
end
-- NULL elements of arrays are nil
local arr = assert(db:first("SELECT ARRAY[1, NULL, 3] AS a")).a
print("array with NULL", arr[1], arr[2], arr[3])

-- stored and read back from a table; columns keep their order
assert(db:exec([[
  DROP TABLE IF EXISTS everything;
  CREATE TABLE everything (
    z_bool boolean, y_int2 smallint, x_int4 integer, w_int8 bigint, v_float4 real, u_float8 float8,
    t_numeric numeric(20,4), s_text text, r_bytea bytea, q_json json, p_jsonb jsonb, o_ts timestamp,
    n_tstz timestamptz, m_date date, l_uuid uuid, k_ints integer[], j_texts text[])
]]))
local changes = assert(db:run([[INSERT INTO everything VALUES
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)]],
  true, 7, -8, -9007199254740993LL, 2.5, 1e-9, "3.14159", "line1\nline2", sql.blob("\0bin\0"),
  { list = { 1, 2 } }, { k = "v" }, "1999-12-31 23:59:59", "2000-01-01 00:00:00+00", "1970-01-01",
  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", { 10, 20 }, { "x", "y" }))
print("inserted", changes)
assert(db:run("INSERT INTO everything (s_text) VALUES ($1)", nil))
local rows = assert(db:query("SELECT * FROM everything ORDER BY s_text NULLS LAST"))
print("columns", table.concat(rows.columns, " "))
print("rows", #rows)
for _, name in ipairs(rows.columns) do
  print(name, show(rows[1][name]), rows[2][name])
end

-- 64-bit edges: exact above 2^53, numbers at and below it
for _, v in ipairs({ "9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740993",
                     "9223372036854775807", "-9223372036854775808" }) do
  print("int8 " .. v, show(assert(db:first("SELECT $1::bigint AS v", v)).v))
end
-- a cdata that comes back is equal to what was sent
local big = 1234567890123456789LL
print("round trip", assert(db:first("SELECT $1::bigint AS v", big)).v == big)
print("out of range", select(2, db:first("SELECT $1::smallint AS v", 40000)))
print("not an integer", select(2, db:first("SELECT $1::int AS v", 1.5)))

-- special floats and numeric
local special = assert(db:first("SELECT 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf, 'NaN'::numeric AS nnan, 0.000012::numeric AS small"))
print("specials", special.nan ~= special.nan, special.inf, special.nnan, special.small)
print("timestamps", show(assert(db:first("SELECT 'infinity'::timestamp AS v")).v),
  show(assert(db:first("SELECT '2024-01-02 03:04:05.678+00'::timestamptz AS v")).v))
print("unconverted", db:first("SELECT '1 day'::interval AS v"))
print("cast to text", assert(db:first("SELECT '1 day'::interval::text AS v")).v)
assert(db:exec("DROP TABLE everything"))
db:close()
