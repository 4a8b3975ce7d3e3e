-- What shadow stored, for tests/shadow.rs: `tinn shadow/check.lua STORE HOST TREE UNTIL [MS]`.
-- Waits (up to MS, default 30 s) until the store holds at least UNTIL events for HOST (or, when
-- UNTIL is a path, a CREATE of it), then
-- prints the row count, the count per kind, how many (path, kind) pairs are stored more than
-- once, and how replaying the stored events (CREATE and RENAME_NEW add a path, DELETE and
-- RENAME_OLD remove it) compares with the files under TREE (which was empty at first).
local sql = require("tinn.sql")
local process = require("tinn.process")

local url, host, tree, rows, limit = arg[1], arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5] or 30000)
local marker = not rows and arg[4] or nil
local db = assert(sql.open(url))
local q = url:match("^postgres") and function(s) return (s:gsub("%?", "$1")) end or function(s) return s end

local started = tinn.now()
local count = 0
repeat
  local row = db:first(q("SELECT count(*) AS n FROM shadow_events WHERE host = ?"), host)
  count = row and tonumber(row.n) or 0
  if marker then
    if db:first(q("SELECT 1 AS found FROM shadow_events WHERE kind = 'CREATE' AND path = ?"), marker) then break end
  elseif count >= rows then
    break
  end
  sleep(50)
until tinn.now() - started > limit
print("rows", count)

local kinds = {}
for row in db:rows(q("SELECT kind, count(*) AS n FROM shadow_events WHERE host = ? GROUP BY kind ORDER BY kind"), host) do
  kinds[#kinds + 1] = row.kind .. " " .. tostring(row.n)
end
print("kinds", table.concat(kinds, ", "))
local dup = db:first(q([[SELECT count(*) AS n FROM (SELECT path, kind FROM shadow_events WHERE host = ?
  GROUP BY path, kind HAVING count(*) > 1) AS twice]]), host)
print("stored twice", tonumber(dup.n))

local exists = {}
for e in db:rows(q("SELECT kind, path FROM shadow_events WHERE host = ? ORDER BY journal_id, usn"), host) do
  if e.kind == "CREATE" or e.kind == "RENAME_NEW" then
    exists[e.path] = true
  elseif e.kind == "DELETE" or e.kind == "RENAME_OLD" then
    exists[e.path] = nil
  end
end
local _, out = process.exec("find", tree, "-mindepth", "1")
local missing, extra = 0, 0
local onDisk = {}
for path in out:gmatch("[^\n]+") do
  onDisk[path] = true
  if not exists[path] then extra = extra + 1 end
end
for path in pairs(exists) do
  if not onDisk[path] then missing = missing + 1 end
end
print("replay vs disk", "gone from disk " .. missing, "not in store " .. extra)
db:close()
