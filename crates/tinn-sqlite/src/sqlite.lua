-- tinn.sqlite: the SQLite driver of tinn.sql (docs/sql.md). Scripts usually reach it through
-- `require("tinn.sql").open("sqlite:app.db")`; the db it returns has tinn.sql.common's methods.
--
--   local db = assert(require("tinn.sqlite").open("sqlite::memory:"))
--   print(db:first("SELECT sqlite_version() AS v").v)

local native = ...
local common = require("tinn.sql.common")
local check = require("tinn.check")
local await = require("tinn.reactor").await

local type, tostring, sub = type, tostring, string.sub
local argError, checkTimeout = check.argError, check.timeout

--- How long a writer waits for another connection's lock before it fails with SQLITE_BUSY.
local DEFAULT_BUSY_TIMEOUT = 5000

-- "sqlite:path", "sqlite://path", "sqlite:///abs/path", "sqlite::memory:" -> the path SQLite opens.
local function pathOf(url)
  if sub(url, 1, 7) ~= "sqlite:" then return nil end
  local rest = sub(url, 8)
  if sub(rest, 1, 2) == "//" then rest = sub(rest, 3) end
  if rest == "" then return nil end
  return rest
end

local function option(opts, name, kind, default)
  local value = opts[name]
  if value == nil then return default end
  if type(value) ~= kind then
    argError(2, "sqlite.open", "option '" .. name .. "' must be a " .. kind .. ", got " .. type(value), 2)
  end
  return value
end

--- sqlite.open(url [, opts]) -> db | nil, err
--- opts: timeout (ms each call may wait), busyTimeout (ms, default 5000), readonly (false),
--- wal (true: write-ahead log, so readers do not wait for a writer).
local function open(url, opts)
  if type(url) ~= "string" then argError(1, "sqlite.open", "URL string expected, got " .. type(url)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "sqlite.open", "options table expected, got " .. type(opts)) end
  opts = opts or {}
  local path = pathOf(url)
  if not path then argError(1, "sqlite.open", "expected 'sqlite:path' or 'sqlite::memory:', got '" .. url .. "'") end
  checkTimeout(opts.timeout, 2, "sqlite.open")
  local busy = option(opts, "busyTimeout", "number", DEFAULT_BUSY_TIMEOUT)
  if busy < 0 or busy ~= busy then argError(2, "sqlite.open", "option 'busyTimeout' must be >= 0, got " .. tostring(busy)) end
  local readonly = option(opts, "readonly", "boolean", false)
  local wal = option(opts, "wal", "boolean", true)
  local conn, err = await(opts.timeout, native.open(path, readonly, wal, busy))
  if not conn then return nil, err end
  return common.wrap(conn, {
    driver = "sqlite",
    -- IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
    -- instead of one failing with SQLITE_BUSY when it first writes.
    begin = readonly and "BEGIN" or "BEGIN IMMEDIATE",
    timeout = opts.timeout,
  })
end

return { open = open }
