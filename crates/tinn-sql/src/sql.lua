-- tinn.sql: one database interface, the driver chosen by the URL's scheme (docs/sql.md).
--
--   local sql = require("tinn.sql")
--   local db = assert(sql.open("sqlite::memory:"))
--   assert(db:exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
--   assert(db:run("INSERT INTO t (name) VALUES (?)", "tinn"))
--   print(db:first("SELECT name FROM t WHERE id = ?", 1).name)
--
-- The methods of the db `open` returns live in tinn.sql.common; the drivers in tinn.sqlite
-- and tinn.pg.

local common = require("tinn.sql.common")
local check = require("tinn.check")

local type, require, match, lower, gsub, pcall, error, tostring =
  type, require, string.match, string.lower, string.gsub, pcall, error, tostring
local argError = check.argError

-- URL scheme -> driver module.
local DRIVERS = {
  sqlite = "tinn.sqlite",
  postgres = "tinn.pg",
  postgresql = "tinn.pg",
}

--- sql.open(url [, opts]) -> db | nil, err
--- url: "sqlite:path/app.db", "sqlite::memory:", "postgres://user:pass@host:port/db".
--- opts: { timeout = ms per call, ... } plus the driver's own options.
local function open(url, opts)
  if type(url) ~= "string" then argError(1, "sql.open", "URL string expected, got " .. type(url)) end
  if opts ~= nil and type(opts) ~= "table" then
    argError(2, "sql.open", "options table expected, got " .. type(opts))
  end
  local scheme = match(url, "^(%a[%w+.-]*):")
  local driver = scheme and DRIVERS[lower(scheme)]
  if not driver then
    argError(1, "sql.open", "unknown database URL '" .. url .. "' (expected sqlite:path, sqlite::memory: or postgres://...)")
  end
  local ok, db, err = pcall(require(driver).open, url, opts)
  if not ok then
    -- The driver checked the options: say it of sql.open, at the caller's line.
    error((gsub(gsub(tostring(db), "^[^\n]-:%d+: ", ""), "to '[%w%.]+%.open'", "to 'sql.open'")), 2)
  end
  return db, err
end

return {
  open = open,
  blob = common.blob,
  isBlob = common.isBlob,
}
