-- tinn.sql.common: the db and statement methods every tinn.sql driver shares (DESIGN.md §4).
--
-- A driver (tinn.sqlite, tinn.pg) is a native connection handle plus a few lines of Lua; this
-- file does the rest: argument checks, parameter encoding, prepared statements, `first`,
-- the `rows` iterator, transactions, timeouts. A driver's `open` ends with
--
--   return common.wrap(conn, { driver = "sqlite", begin = "BEGIN IMMEDIATE", timeout = opts.timeout })
--
-- and may add its own methods to the db it gets back (`db.copyIn = ...`).
--
-- THE DRIVER CONTRACT. `conn` is a native handle (userdata) with these methods. Each either
-- finishes at once or returns tinn-reactor's `PENDING, id` (see crates/tinn-reactor); the common
-- layer finishes every call with `reactor.await(timeoutMs, conn:method(...))`. Failures are the
-- values `nil, message`, the message naming the operation and the engine's code:
-- `"query: no such table: t (SQLITE_ERROR)"`, `"query: relation \"t\" does not exist (42P01)"`.
--
--   conn:exec(sql)                 -> true                 several statements, no parameters, no rows
--   conn:query(sql, params [, limit]) -> rows              every row at once (at most `limit`
--                                                          if given: db:first passes 1)
--   conn:run(sql, params)          -> changes, lastInsertId (lastInsertId may be nil)
--   conn:close()                   -> true                 idempotent; later calls give nil, "closed"
-- optional:
--   conn:runMany(sql, list)        -> changes, lastInsertId one statement for each params array
--                                                          in `list` (an array without `n` has
--                                                          #array values, none of them nil
--                                                          or tagged), all applied or none; the
--                                                          failure names the row: "runMany: row 3: ..."
--       (without runMany, db:runMany runs the rows one by one inside a transaction or savepoint)
--   conn:first(sql, params)        -> row | nil            the first row alone (db:first); failures
--                                                          as conn:query's (without it, db:first
--                                                          calls conn:query(sql, params, 1))
--   conn:prepare(sql)              -> true                 check (and cache) a statement now, so
--                                                          db:prepare reports bad SQL at once
--   conn:fetch(sql, params, n)     -> rows, cursor|nil     the first n rows and, if more may
--                                                          follow, a cursor (any non-nil value)
--   conn:fetchMore(cursor, n)      -> rows, cursor|nil     the next n rows (cursor nil: no more)
--   conn:closeCursor(cursor)       -> nothing, never waits drop a cursor not read to its end
--       (without fetch, db:rows reads everything with conn:query and iterates over it)
--   conn:acquire()                 -> conn2                a connection for one task's exclusive
--   conn:release(conn2 [, broken])                         use (a pool); transactions run on it.
--       (without acquire, a transaction locks the db: other tasks' calls wait until it ends)
--
-- `params` is an array `{ n = count, ... }` (it may hold nils). Each value is one of:
--   nil                   NULL
--   boolean               the engine's boolean (SQLite: the integer 1 or 0)
--   number                an integer if it is integral and within ±2^63, else a float
--   string                text (drivers bind it as bytes; SQLite keeps them as they are)
--   { type = "blob", value = bytes }                     from sql.blob(s): binary
--   { type = "int64", value = "-9223372036854775808" }   from an int64_t/uint64_t cdata: decimal
--   { type = "json", value = jsonText, table = t }       from any other Lua table; `table` is the
--                                                        original, for a driver that binds Lua
--                                                        arrays to array columns (PostgreSQL)
-- `rows` is an array of rows, each a table `{ column = value }`, with `rows.columns` the
-- column names in order. Values: nil for NULL, booleans, numbers, integers beyond ±2^53 as
-- int64_t cdata (build them with `common.int64(hi, lo)`), strings for text and binary.

local reactor = require("tinn.reactor")
local check = require("tinn.check")
local json = require("tinn.json")
local ffi = require("ffi")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, select, error, pcall, tostring, setmetatable, getmetatable = type, select, error, pcall, tostring, setmetatable, getmetatable
local unpack, newproxy, maxn = unpack, newproxy, table.maxn
local format, match = string.format, string.match
local currentTask = tinn.currentTask

local common = {}

---------------------------------------------------------------------------------------------------
-- Values
---------------------------------------------------------------------------------------------------

local Blob = { __name = "sql.blob" }
Blob.__index = Blob
function Blob:__tostring() return format("sql.blob(%d bytes)", #self.value) end

--- common.blob(s) -> a value that binds as binary (BLOB, bytea), not text.
function common.blob(s)
  if type(s) ~= "string" then argError(1, "sql.blob", "string expected, got " .. type(s)) end
  return setmetatable({ type = "blob", value = s }, Blob)
end

--- common.isBlob(v) -> true when v was made by sql.blob.
function common.isBlob(v)
  return type(v) == "table" and getmetatable(v) == Blob
end

local int64_t, uint64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
local TWO32 = ffi.new("int64_t", 4294967296)

--- common.int64(hi, lo) -> the int64_t cdata hi * 2^32 + lo (hi signed, lo 0 .. 2^32-1).
--- Drivers call it (from Rust) for integers beyond ±2^53, which a Lua number would round.
function common.int64(hi, lo)
  return int64_t(hi) * TWO32 + lo
end

-- One parameter as the contract above says a driver receives it.
local function encodeValue(v, n, fname)
  local t = type(v)
  if t == "table" then
    if getmetatable(v) == Blob then return v end
    local ok, text = pcall(json.encode, v)
    if not ok then argError(n, fname, "table parameter cannot be encoded as JSON: " .. tostring(text), 2) end
    return { type = "json", value = text, table = v }
  elseif t == "cdata" then
    if ffi.istype(int64_t, v) or ffi.istype(uint64_t, v) then
      return { type = "int64", value = match(tostring(v), "^(-?%d+)") }
    end
    argError(n, fname, "cannot bind cdata " .. tostring(ffi.typeof(v)) .. " (only int64_t and uint64_t)", 2)
  elseif t == "function" or t == "userdata" or t == "thread" then
    argError(n, fname, "cannot bind a " .. t .. " as a parameter", 2)
  end
  return v
end

-- The parameters after the SQL text (argument `first` onwards) as `{ n = count, ... }`.
local function encodeParams(fname, first, ...)
  local count = select("#", ...)
  local params = { n = count, ... }
  for i = 1, count do
    local v = params[i]
    local t = type(v)
    if t ~= "string" and t ~= "number" and v ~= nil and t ~= "boolean" then
      params[i] = encodeValue(v, first + i - 1, fname)
    end
  end
  return params
end

---------------------------------------------------------------------------------------------------
-- Transactions lock a db whose driver has no pool
---------------------------------------------------------------------------------------------------

local lockSerial = 0

--- How often a task waiting for another task's transaction checks that task is still alive.
local OWNER_CHECK_MS = 100

-- Waits while another task's transaction holds the db. Calls through the transaction's tx,
-- and calls the transaction's own task makes on the db or its statements, are part of it.
local function waitTurn(self)
  local state = self.state
  while state.owner ~= nil and state.owner ~= self.token and state.ownerTask ~= currentTask() do
    waitSignal(state.signal, OWNER_CHECK_MS)
    local owner = state.ownerTask
    local status = owner and owner:status()
    if status == "cancelled" or status == "failed" or status == "done" then
      -- The transaction's task was cancelled inside it: end the transaction for it.
      state.owner, state.ownerTask = nil, nil
      await(nil, self.conn:exec("ROLLBACK"))
      signalAll(state.signal)
    end
  end
end

---------------------------------------------------------------------------------------------------
-- Db
---------------------------------------------------------------------------------------------------

local Db = {}
Db.__index = Db

local function newDb(conn, info, state, token)
  return setmetatable({ conn = conn, info = info, state = state, token = token, timeout = info.timeout }, Db)
end

local function checkDb(self, fname)
  if getmetatable(self) ~= Db then argError(0, fname, "db expected (call it as db:" .. match(fname, "(%w+)$") .. ")", 1) end
end

local function checkSql(sql, fname)
  if type(sql) ~= "string" then argError(1, fname, "SQL text expected, got " .. type(sql), 1) end
end

--- db:exec(sql) -> true | nil, err. Runs one or more statements; no parameters, no rows.
function Db:exec(sql)
  checkDb(self, "db:exec"); checkSql(sql, "db:exec")
  if self.state.owner ~= nil then waitTurn(self) end
  return await(self.timeout, self.conn:exec(sql))
end

--- db:run(sql, ...) -> changes, lastInsertId | nil, err. For INSERT, UPDATE, DELETE, DDL.
function Db:run(sql, ...)
  checkDb(self, "db:run"); checkSql(sql, "db:run")
  if self.state.owner ~= nil then waitTurn(self) end
  return await(self.timeout, self.conn:run(sql, encodeParams("db:run", 2, ...)))
end

--- db:query(sql, ...) -> rows | nil, err. Every row at once; rows.columns lists the names.
function Db:query(sql, ...)
  checkDb(self, "db:query"); checkSql(sql, "db:query")
  if self.state.owner ~= nil then waitTurn(self) end
  return await(self.timeout, self.conn:query(sql, encodeParams("db:query", 2, ...)))
end

--- db:first(sql, ...) -> row | nil (no row) | nil, err.
function Db:first(sql, ...)
  checkDb(self, "db:first"); checkSql(sql, "db:first")
  if self.state.owner ~= nil then waitTurn(self) end
  local conn = self.conn
  if conn.first then return await(self.timeout, conn:first(sql, encodeParams("db:first", 2, ...))) end
  local rows, err = await(self.timeout, conn:query(sql, encodeParams("db:first", 2, ...), 1))
  if rows == nil then return nil, err end
  return rows[1]
end

--- How many rows db:rows asks the driver for at a time.
local ROWS_BATCH = 256

-- Closes a cursor whose iterator was dropped before the end (a `break` out of the loop).
local function cursorGuard(conn, holder)
  local proxy = newproxy(true)
  getmetatable(proxy).__gc = function()
    local cursor = holder.cursor
    if cursor ~= nil then holder.cursor = nil; pcall(conn.closeCursor, conn, cursor) end
  end
  return proxy
end

--- db:rows(sql, ...) -> iterator over rows, read from the engine in batches:
---   for row in db:rows("SELECT id, name FROM t") do print(row.id, row.name) end
--- A failure raises (at the loop) with the same message the other methods return.
function Db:rows(sql, ...)
  checkDb(self, "db:rows"); checkSql(sql, "db:rows")
  if self.state.owner ~= nil then waitTurn(self) end
  local conn, timeout = self.conn, self.timeout
  local params = encodeParams("db:rows", 2, ...)
  local rows, i, holder, guard = nil, 0, {}, nil
  local started = false
  return function()
    if not started then
      started = true
      local err
      if conn.fetch then
        rows, err = await(timeout, conn:fetch(sql, params, ROWS_BATCH))
        if rows ~= nil then holder.cursor = err; if err ~= nil then guard = cursorGuard(conn, holder) end end
      else
        rows, err = await(timeout, conn:query(sql, params))
      end
      if rows == nil then error(err, 2) end
    end
    i = i + 1
    local row = rows[i]
    if row == nil and holder.cursor ~= nil then
      local more, cursor = await(timeout, conn:fetchMore(holder.cursor, ROWS_BATCH))
      if more == nil then holder.cursor = nil; error(cursor, 2) end
      holder.cursor = cursor
      rows, i = more, 1
      row = rows[1]
    end
    if row == nil and guard ~= nil then holder.cursor = nil end
    return row
  end
end

local Statement = {}
Statement.__index = Statement

-- Each row of a runMany list as the contract's `{ n = count, ... }` (count: row.n or its length).
-- A list whose rows all go as they are is passed on itself: copying 100k rows into a new list
-- cost a tenth of a runMany's time (the allocations it makes drive the garbage collector).
local function encodeRows(fname, list)
  if type(list) ~= "table" then argError(2, fname, "array of parameter arrays expected, got " .. type(list), 1) end
  -- Drivers read the list raw: one with a metatable is copied, as Lua sees it.
  local encoded = getmetatable(list) == nil and list or {}
  for i = 1, #list do
    local row = list[i]
    if type(row) ~= "table" or getmetatable(row) == Blob then
      argError(2, fname, format("row %d must be an array of values, got %s", i, type(row)), 1)
    end
    local count = row.n or maxn(row)
    local plain = count == #row
    for j = 1, count do
      local t = type(row[j])
      if t ~= "string" and t ~= "number" and t ~= "boolean" then plain = false; break end
    end
    -- A row of plain values without holes goes as it is: its length is its width.
    if not plain then
      if encoded == list then
        encoded = {}
        for k = 1, i - 1 do encoded[k] = list[k] end
      end
      encoded[i] = encodeParams(fname, 2, unpack(row, 1, count))
    elseif encoded ~= list then
      encoded[i] = row
    end
  end
  return encoded
end

-- runMany for a driver without it: one statement at a time, all inside one savepoint.
local function runEach(db, sql, list)
  local total, last = 0, nil
  local ok, err = pcall(db.transaction, db, function(tx)
    for i = 1, #list do
      local changes, id = await(tx.timeout, tx.conn:run(sql, list[i]))
      if changes == nil then error(format("runMany: row %d: %s", i, tostring(id)), 0) end
      total, last = total + changes, id
    end
  end)
  if not ok then return nil, err end
  return total, last
end

--- db:runMany(sql, list) -> changes, lastInsertId | nil, err. Runs `sql` once for each array
--- of parameters in `list`, all or nothing, in one request to the engine:
---   db:runMany("INSERT INTO t (a, b) VALUES (?, ?)", { { 1, "x" }, { 2, "y" } })
--- A row with NULLs says how many values it has with `n`: `{ n = 2, 1, nil }`.
function Db:runMany(sql, list)
  checkDb(self, "db:runMany"); checkSql(sql, "db:runMany")
  local encoded = encodeRows("db:runMany", list)
  if self.state.owner ~= nil then waitTurn(self) end
  if not self.conn.runMany then return runEach(self, sql, encoded) end
  return await(self.timeout, self.conn:runMany(sql, encoded))
end

--- db:prepare(sql) -> statement | nil, err. The statement has exec-less versions of run, query,
--- first and rows taking only the parameters: `local ins = db:prepare("INSERT ..."); ins:run(1, "a")`.
function Db:prepare(sql)
  checkDb(self, "db:prepare"); checkSql(sql, "db:prepare")
  if self.conn.prepare then
    if self.state.owner ~= nil then waitTurn(self) end
    local ok, err = await(self.timeout, self.conn:prepare(sql))
    if not ok then return nil, err end
  end
  return setmetatable({ db = self, sql = sql }, Statement)
end

local function checkStatement(self, fname)
  if getmetatable(self) ~= Statement then argError(0, fname, "statement expected (call it as stmt:" .. match(fname, "(%w+)$") .. ")", 1) end
end

--- stmt:run(...) -> changes, lastInsertId | nil, err
function Statement:run(...)
  checkStatement(self, "stmt:run")
  local db = self.db
  if db.state.owner ~= nil then waitTurn(db) end
  return await(db.timeout, db.conn:run(self.sql, encodeParams("stmt:run", 1, ...)))
end

--- stmt:runMany(list) -> changes, lastInsertId | nil, err
function Statement:runMany(list)
  checkStatement(self, "stmt:runMany")
  return self.db:runMany(self.sql, list)
end

--- stmt:query(...) -> rows | nil, err
function Statement:query(...)
  checkStatement(self, "stmt:query")
  local db = self.db
  if db.state.owner ~= nil then waitTurn(db) end
  return await(db.timeout, db.conn:query(self.sql, encodeParams("stmt:query", 1, ...)))
end

--- stmt:first(...) -> row | nil | nil, err
function Statement:first(...)
  checkStatement(self, "stmt:first")
  return self.db:first(self.sql, ...)
end

--- stmt:rows(...) -> iterator over rows
function Statement:rows(...)
  checkStatement(self, "stmt:rows")
  return self.db:rows(self.sql, ...)
end

--- stmt:on(db) -> the same statement on another db object (a pooled transaction's tx).
function Statement:on(db)
  checkStatement(self, "stmt:on")
  if getmetatable(db) ~= Db then argError(1, "stmt:on", "db expected, got " .. type(db)) end
  return setmetatable({ db = db, sql = self.sql }, Statement)
end

function Statement:__tostring() return "Statement(" .. self.sql .. ")" end

local function pack(...) return { n = select("#", ...), ... } end

-- Runs `fn(tx)` between `begin` and COMMIT; ROLLBACK and re-raise on error.
local function runTransaction(tx, fn, begin, commit, rollback)
  -- BEGIN, COMMIT and ROLLBACK wait as long as it takes: one given up on would leave the
  -- connection inside a transaction nobody ends.
  local ok, err = await(nil, tx.conn:exec(begin))
  if not ok then return false, "transaction: " .. tostring(err) end
  local passed, results = pcall(function() return pack(fn(tx)) end)
  if passed then
    ok, err = await(nil, tx.conn:exec(commit))
    if ok then return true, results end
    -- A COMMIT that failed (a deferred constraint, a busy database) leaves nothing applied.
    await(nil, tx.conn:exec(rollback))
    return false, "transaction: " .. tostring(err)
  end
  await(nil, tx.conn:exec(rollback))
  return false, results
end

--- db:transaction(fn) -> fn's results. Calls fn(tx) inside BEGIN ... COMMIT; tx has the db's
--- methods. If fn raises, the transaction is rolled back and the error re-raised. Inside fn,
--- tx:transaction(fn2) nests with a savepoint. Other tasks' calls on db wait until it ends.
function Db:transaction(fn)
  checkDb(self, "db:transaction")
  if type(fn) ~= "function" then argError(1, "db:transaction", "function expected, got " .. type(fn)) end
  local state = self.state
  if self.token ~= nil and state.owner == self.token then
    -- Nested: a savepoint inside the running transaction.
    state.depth = state.depth + 1
    local name = "tinn_sp" .. state.depth
    local done, results = runTransaction(self, fn, "SAVEPOINT " .. name, "RELEASE " .. name,
      "ROLLBACK TO " .. name .. "; RELEASE " .. name)
    state.depth = state.depth - 1
    if not done then error(results, 0) end
    return unpack(results, 1, results.n)
  end
  local conn, info = self.conn, self.info
  if conn.acquire then
    local pinned, err = await(self.timeout, conn:acquire())
    if pinned == nil then error("transaction: " .. tostring(err), 2) end
    lockSerial = lockSerial + 1
    local txState = { owner = lockSerial, depth = 0, signal = "tinn.sql:tx" .. lockSerial }
    local tx = newDb(pinned, info, txState, lockSerial)
    tx.timeout = self.timeout
    local done, results = runTransaction(tx, fn, info.begin or "BEGIN", "COMMIT", "ROLLBACK")
    conn:release(pinned)
    if not done then error(results, 0) end
    return unpack(results, 1, results.n)
  end
  if state.owner ~= nil then waitTurn(self) end
  lockSerial = lockSerial + 1
  local token = lockSerial
  state.owner, state.ownerTask, state.depth = token, currentTask(), 0
  local tx = newDb(conn, info, state, token)
  tx.timeout = self.timeout
  local done, results = runTransaction(tx, fn, info.begin or "BEGIN", "COMMIT", "ROLLBACK")
  state.owner, state.ownerTask = nil, nil
  signalAll(state.signal)
  if not done then error(results, 0) end
  return unpack(results, 1, results.n)
end

--- db:close() -> true. Idempotent; later calls on the db return nil, "closed".
function Db:close()
  checkDb(self, "db:close")
  return await(self.timeout, self.conn:close())
end

function Db:__tostring()
  return format("Db(%s%s)", self.info.driver, self.token and ", transaction" or "")
end

--- common.wrap(conn, info) -> db. `info.driver` names the driver ("sqlite"), `info.begin` the
--- statement that opens a transaction (default "BEGIN"), `info.timeout` the milliseconds each
--- call may wait before it returns nil, "timeout" (nil: no limit).
function common.wrap(conn, info)
  if type(info) ~= "table" or type(info.driver) ~= "string" then
    argError(2, "common.wrap", "info table with a driver name expected")
  end
  checkTimeout(info.timeout, 2, "common.wrap")
  lockSerial = lockSerial + 1
  local state = { owner = nil, depth = 0, signal = "tinn.sql:db" .. lockSerial }
  return newDb(conn, info, state, nil)
end

common.Db, common.Statement = Db, Statement
common.encodeParams = encodeParams

return common
