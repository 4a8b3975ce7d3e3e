-- shadow/store: the store where shadow ships journal entries (docs/shadow.md "Store schema").
--
--   local store = assert(Store.open("sqlite:shadow.db", "laptop"))
--   store:ship(journalId, root, entries, lastUsn)   -- one transaction: rows and cursor
--
-- The same table names and columns on SQLite and PostgreSQL; users query them directly.
-- SQL is written with `?` and turned into `$1, $2 ...` for PostgreSQL.

local sql = require("tinn.sql")
local json = require("tinn.json")

local format, gsub, concat = string.format, string.gsub, table.concat

local SCHEMA = {
  [[CREATE TABLE IF NOT EXISTS shadow_events (
      host TEXT NOT NULL, journal_id TEXT NOT NULL, usn BIGINT NOT NULL,
      at TEXT NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, is_dir BOOLEAN NOT NULL,
      PRIMARY KEY (host, journal_id, usn))]],
  [[CREATE INDEX IF NOT EXISTS shadow_events_at ON shadow_events (at)]],
  [[CREATE TABLE IF NOT EXISTS shadow_cursor (
      host TEXT NOT NULL, journal_id TEXT NOT NULL, root TEXT NOT NULL, usn BIGINT NOT NULL,
      PRIMARY KEY (host, journal_id))]],
  [[CREATE TABLE IF NOT EXISTS shadow_filters (
      host TEXT PRIMARY KEY, kinds TEXT NOT NULL, include TEXT NOT NULL, exclude TEXT NOT NULL,
      updated_at TEXT NOT NULL)]],
}

--- Events per multi-row INSERT: a batch is stored in few statements, not one per event (the
--- server's work per statement, not per row, bounds how fast PostgreSQL takes them).
local EVENTS_PER_INSERT = 100
local EVENT_VALUES = "(?, ?, ?, ?, ?, ?, ?)"
local EVENT_COLUMNS = 7
local function insertEvents(count)
  return "INSERT INTO shadow_events (host, journal_id, usn, at, kind, path, is_dir) VALUES "
    .. string.rep(EVENT_VALUES, count, ", ") .. " ON CONFLICT DO NOTHING"
end

local SAVE_CURSOR = [[INSERT INTO shadow_cursor (host, journal_id, root, usn) VALUES (?, ?, ?, ?)
  ON CONFLICT (host, journal_id) DO UPDATE SET root = excluded.root, usn = excluded.usn]]
local LOAD_CURSOR = [[SELECT usn FROM shadow_cursor WHERE host = ? AND journal_id = ?]]
local SAVE_FILTERS = [[INSERT INTO shadow_filters (host, kinds, include, exclude, updated_at)
  VALUES (?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET kinds = excluded.kinds,
  include = excluded.include, exclude = excluded.exclude, updated_at = excluded.updated_at]]
local LOAD_FILTERS = [[SELECT kinds, include, exclude FROM shadow_filters WHERE host = ?]]

--- ISO 8601 UTC with microseconds, from seconds since the epoch: sorts as text. The date part
--- is kept for the last second seen: a batch's events mostly share it, and os.date per row was
--- a good part of storing one.
local lastSecond, lastDate
local function isoTime(seconds)
  local whole = math.floor(seconds)
  if whole ~= lastSecond then
    lastSecond, lastDate = whole, os.date("!%Y-%m-%dT%H:%M:%S", whole)
  end
  return format("%s.%06dZ", lastDate, math.floor((seconds - whole) * 1e6 + 0.5) % 1000000)
end

local Store = {}
Store.__index = Store

-- `?` → `$n` for PostgreSQL.
local function dialect(isPostgres)
  if not isPostgres then return function(text) return text end end
  return function(text)
    local n = 0
    return (gsub(text, "%?", function() n = n + 1 return "$" .. n end))
  end
end

--- Store.open(url, host) -> store | nil, err. Creates the tables if missing.
local function open(url, host)
  local isPostgres = url:match("^postgres") ~= nil
  local db, err = sql.open(url, { timeout = 10000 })
  if not db then return nil, err end
  for _, statement in ipairs(SCHEMA) do
    local ok, failure = db:exec(statement)
    if not ok then
      db:close()
      return nil, "store: " .. failure
    end
  end
  local q = dialect(isPostgres)
  local store = setmetatable({ db = db, host = host, url = url, q = q,
    insertEvent = q(insertEvents(1)), insertEvents = q(insertEvents(EVENTS_PER_INSERT)), saveCursor = q(SAVE_CURSOR) }, Store)
  return store
end

--- store:cursor(journalId) -> the last usn shipped (0 when none) | nil, err
function Store:cursor(journalId)
  local row, err = self.db:first(self.q(LOAD_CURSOR), self.host, journalId)
  if err then return nil, err end
  return row and tonumber(row.usn) or 0
end

--- store:ship(journalId, root, events, lastUsn) -> true | nil, err
--- Writes `events` (each {usn, at, kind, path, isDir}) and moves the cursor to `lastUsn` in one
--- transaction: a batch is stored whole or not at all, and never twice (the key is the usn).
function Store:ship(journalId, root, events, lastUsn)
  local host = self.host
  -- whole groups of EVENTS_PER_INSERT as multi-row INSERTs, the rest one row each (a runMany each)
  local grouped = #events - #events % EVENTS_PER_INSERT
  local groups, rest = {}, {}
  for first = 1, grouped, EVENTS_PER_INSERT do
    local params, n = {}, 0
    for i = first, first + EVENTS_PER_INSERT - 1 do
      local e = events[i]
      params[n + 1], params[n + 2], params[n + 3], params[n + 4] = host, journalId, e.usn, isoTime(e.at)
      params[n + 5], params[n + 6], params[n + 7] = e.kind, e.path, e.isDir
      n = n + EVENT_COLUMNS
    end
    groups[#groups + 1] = params
  end
  for i = grouped + 1, #events do
    local e = events[i]
    rest[#rest + 1] = { host, journalId, e.usn, isoTime(e.at), e.kind, e.path, e.isDir }
  end
  local ok, err = pcall(self.db.transaction, self.db, function(tx)
    if #groups > 0 then assert(tx:runMany(self.insertEvents, groups)) end
    if #rest > 0 then assert(tx:runMany(self.insertEvent, rest)) end
    assert(tx:run(self.saveCursor, host, journalId, root, lastUsn))
  end)
  if ok then return true end
  return nil, (gsub(tostring(err), "^[^\n]-:%d+: ", ""))
end

--- store:loadFilters() -> {kinds, include, exclude} | nil (none saved), err
function Store:loadFilters()
  local row, err = self.db:first(self.q(LOAD_FILTERS), self.host)
  if not row then return nil, err end
  local ok, filters = pcall(function()
    return { kinds = json.decode(row.kinds), include = json.decode(row.include), exclude = json.decode(row.exclude) }
  end)
  if not ok then return nil, "store: unreadable shadow_filters row for " .. self.host end
  return filters
end

--- store:saveFilters(filters) -> true | nil, err
function Store:saveFilters(filters)
  local ok, err = self.db:run(self.q(SAVE_FILTERS), self.host, json.encode(filters.kinds),
    json.encode(filters.include), json.encode(filters.exclude), isoTime(os.time()))
  if not ok then return nil, err end
  return true
end

--- store:search{path, kind, from, to, limit, offset} -> rows | nil, err
--- Newest first; `path` is a substring, `from`/`to` ISO 8601 bounds (from inclusive).
function Store:search(query)
  local where, params = { "host = ?" }, { self.host }
  if query.path and query.path ~= "" then
    -- a substring, not a pattern: LIKE's own wildcards are escaped
    where[#where + 1] = "path LIKE ? ESCAPE '\\'"
    params[#params + 1] = "%" .. gsub(query.path, "[\\%%_]", "\\%0") .. "%"
  end
  if query.kind and query.kind ~= "" then
    where[#where + 1] = "kind = ?"
    params[#params + 1] = query.kind
  end
  if query.from and query.from ~= "" then
    where[#where + 1] = "at >= ?"
    params[#params + 1] = query.from
  end
  if query.to and query.to ~= "" then
    where[#where + 1] = "at < ?"
    params[#params + 1] = query.to
  end
  params[#params + 1] = query.limit
  params[#params + 1] = query.offset
  local text = "SELECT journal_id, usn, at, kind, path, is_dir FROM shadow_events WHERE "
    .. concat(where, " AND ") .. " ORDER BY at DESC, usn DESC LIMIT ? OFFSET ?"
  return self.db:query(self.q(text), unpack(params, 1, #params))
end

function Store:close()
  self.db:close()
end

return { open = open, isoTime = isoTime }
