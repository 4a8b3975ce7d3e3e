-- db:copyIn loads 100,000 rows in one COPY; text with tabs, newlines and backslashes, NULLs,
-- blobs, JSON and 64-bit integers arrive intact.
local sql = require("tinn.sql")
local db = assert(sql.open(os.getenv("PG_URL")))
assert(db:exec("DROP TABLE IF EXISTS bulk; CREATE TABLE bulk (id int PRIMARY KEY, name text, score float8, big bigint, ok boolean, data bytea, doc jsonb)"))

local N = 100000
local rows = {}
for i = 1, N do
  rows[i] = { i, "name " .. i, i / 4, nil, i % 2 == 0, nil, nil, n = 7 }
end
rows[1] = { 1, "tab\there\nnewline \\backslash", 0.5, 9223372036854775807LL, true, sql.blob("\0\1\\\t"), { k = { 1, 2 } } }
rows[2] = { 2, nil, nil, -9007199254740993LL, nil, nil, nil, n = 7 }

print("copied", db:copyIn("COPY bulk (id, name, score, big, ok, data, doc) FROM STDIN", rows))


local summary = assert(db:first("SELECT count(*) AS n, sum(id) AS ids, sum(score) AS scores, count(*) FILTER (WHERE ok) AS oks FROM bulk"))
print("count", summary.n, "sum of ids", summary.ids, "sum of scores", summary.scores, "true", summary.oks)
local first = assert(db:first("SELECT * FROM bulk WHERE id = 1"))
print("escapes", first.name == "tab\there\nnewline \\backslash", first.data == "\0\1\\\t", first.big, first.doc.k[2])
local second = assert(db:first("SELECT * FROM bulk WHERE id = 2"))
print("nulls", second.name, second.score, second.ok, second.data, second.doc, second.big)
print("last", assert(db:first("SELECT name FROM bulk WHERE id = $1", N)).name)

-- a bad row fails the whole COPY, naming the server's reason; nothing is half loaded
print(db:copyIn("COPY bulk (id, name) FROM STDIN", { { N + 1, "fine" }, { 1, "duplicate" } }))
print("after failed copy", assert(db:first("SELECT count(*) AS n FROM bulk")).n)
print(db:copyIn("COPY nope FROM STDIN", { { 1 } }))
print(pcall(db.copyIn, db, "COPY bulk FROM STDIN", { 1, 2 }))
assert(db:exec("DROP TABLE bulk"))
db:close()
