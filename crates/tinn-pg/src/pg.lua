-- tinn.pg: the PostgreSQL driver of tinn.sql (docs/pg.md). Usually reached through
-- sql.open("postgres://..."); the db it returns has tinn.sql's methods plus copyIn, listen
-- and unlisten.
--
--   local sql = require("tinn.sql")
--   local db = assert(sql.open("postgres://app:secret@127.0.0.1:5432/app", { pool = 8 }))
--   print(db:first("SELECT $1::int + 1 AS n", 41).n)   --> 42
--
-- The native connection (crates/tinn-pg) fulfils tinn.sql.common's driver contract with a
-- pool: every call leases a connection, a transaction holds one (acquire/release).

local native = ...
local common = require("tinn.sql.common")
local json = require("tinn.json")
local reactor = require("tinn.reactor")
local check = require("tinn.check")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, tostring, floor, min, unpack = type, tostring, math.floor, math.min, unpack
local encodeParams = common.encodeParams

native.installHelpers(common.int64, json.decode)

--- How long the LISTEN pump waits before reconnecting, at first and at most (ms).
local RELISTEN_FIRST_DELAY, RELISTEN_MAX_DELAY = 100, 5000

local function checkDb(db, fname)
  if type(db) ~= "table" or db.conn == nil or db.conn.listen == nil then
    argError(0, fname, "PostgreSQL db expected (call it as " .. fname:gsub("^db%.", "db:") .. ")", 1)
  end
end

--- db:copyIn(sql, rows) -> count | nil, err
--- Bulk load: `sql` is a `COPY table (cols) FROM STDIN`; `rows` an array of arrays, values in
--- the COPY column order (nil or json.null for NULL; set `row.n` when a row ends in nils).
local function copyIn(self, sql, rows)
  checkDb(self, "db.copyIn")
  if type(sql) ~= "string" then argError(1, "db:copyIn", "COPY statement expected, got " .. type(sql)) end
  if type(rows) ~= "table" then argError(2, "db:copyIn", "array of rows expected, got " .. type(rows)) end
  local encoded = {}
  for i = 1, #rows do
    local row = rows[i]
    if type(row) ~= "table" then argError(2, "db:copyIn", "row " .. i .. " is a " .. type(row) .. ", not a table") end
    encoded[i] = encodeParams("db:copyIn", 2, unpack(row, 1, row.n or #row))
  end
  return await(self.timeout, self.conn:copyIn(sql, encoded))
end

-- Hands each NOTIFY to the tasks waiting on "pg:" .. channel; reconnects when the LISTEN
-- connection drops. Ends (so the program may end) once nothing is listened to.
local function pump(db)
  local conn = db.conn
  while true do
    local batch, lost = await(nil, conn:notifications())
    if batch == nil then break end
    for i = 1, #batch, 2 do
      -- Woken tasks run before the next notification goes out, so a task that waits in a
      -- loop is back in its waitSignal for the next one, even when several came at once.
      if signalAll("pg:" .. batch[i], batch[i + 1]) > 0 then yield() end
    end
    if lost then
      local delay = RELISTEN_FIRST_DELAY
      while true do
        local ok, err = await(nil, conn:relisten())
        if ok then break end
        if err == "closed" then db.pump = nil return end
        io.stderr:write("tinn.pg: LISTEN connection lost; retrying: ", tostring(err), "\n")
        sleep(delay)
        delay = min(delay * 2, RELISTEN_MAX_DELAY)
      end
    end
  end
  db.pump = nil
end

local function checkChannel(channel, fname)
  if type(channel) ~= "string" or channel == "" then
    argError(1, fname, "channel name expected, got " .. (channel == "" and "an empty string" or type(channel)), 1)
  end
end

--- db:listen(channel) -> true | nil, err
--- NOTIFY on `channel` raises the named signal "pg:" .. channel with the payload as its value:
--- `waitSignal("pg:jobs")`. While some channel is listened to, the program keeps running.
local function listen(self, channel)
  checkDb(self, "db.listen")
  checkChannel(channel, "db:listen")
  local ok, err = await(self.timeout, self.conn:listen(channel))
  if not ok then return nil, err end
  if self.pump == nil then
    self.pump = spawn(pump, self)
    self.pump:name("pg listen")
  end
  return true
end

--- db:unlisten(channel) -> true | nil, err
local function unlisten(self, channel)
  checkDb(self, "db.unlisten")
  checkChannel(channel, "db:unlisten")
  return await(self.timeout, self.conn:unlisten(channel))
end

--- db:settimeout(ms | nil): the default timeout of this db's calls.
local function settimeout(self, ms)
  checkTimeout(ms, 1, "db:settimeout")
  self.timeout = ms
end

local pg = {}

local function readCa(ca)
  if ca == nil or ca:find("-----BEGIN", 1, true) then return ca end
  local file, err = io.open(ca, "rb")
  if not file then return nil, "ca: " .. tostring(err) end
  local text = file:read("*a")
  file:close()
  return text
end

--- pg.open(url [, opts]) -> db | nil, err
--- opts: pool (connections, default 4), timeout (ms per call and for connecting), ca (PEM
--- text or a file's path; implies TLS). `?sslmode=require` in the URL asks for TLS.
function pg.open(url, opts)
  if type(url) ~= "string" then argError(1, "pg.open", "URL string expected, got " .. type(url)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "pg.open", "options table expected, got " .. type(opts)) end
  opts = opts or {}
  local size = opts.pool or native.DEFAULT_POOL_SIZE
  if type(size) ~= "number" or size < 1 or size ~= floor(size) then
    argError(2, "pg.open", "pool must be a positive integer, got " .. tostring(opts.pool))
  end
  checkTimeout(opts.timeout, 2, "pg.open")
  if opts.ca ~= nil and type(opts.ca) ~= "string" then
    argError(2, "pg.open", "ca must be PEM text or a file path, got " .. type(opts.ca))
  end
  local ca, err = readCa(opts.ca)
  if opts.ca and not ca then return nil, err end
  local conn
  conn, err = await(opts.timeout, native.open(url, size, ca, opts.timeout))
  if not conn then return nil, err end
  local db = common.wrap(conn, { driver = "pg", timeout = opts.timeout })
  db.copyIn, db.listen, db.unlisten, db.settimeout = copyIn, listen, unlisten, settimeout
  return db
end

return pg
