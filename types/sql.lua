---@meta
-- Type definitions for tinn.sql and its drivers tinn.sqlite / tinn.pg (docs/sql.md).
--
-- Every method marked @async suspends only the calling task, and returns nil, "timeout" when
-- the db's `timeout` option (ms) expires. Failures return nil and "<operation>: <engine message>
-- (<engine code>)", e.g. "query: no such table: t (SQLITE_ERROR)"; calls on a closed db return
-- nil, "closed". Misuse (SQL text that is not a string, a function as a parameter) raises
-- "bad argument #n to 'db:run' (...)".

---A value a parameter may take: nil (NULL), boolean (SQLite: 1/0), number, int64_t/uint64_t
---cdata, string (text), a blob from sql.blob, or a table (bound as its JSON text).
---@alias SqlParam nil|boolean|number|string|ffi.cdata*|SqlBlob|table

---A value a column may hold: nil (NULL), number, int64_t cdata (integers beyond ±2^53), string
---(text and blobs).
---@alias SqlValue nil|number|string|ffi.cdata*

---A row: column name -> value. NULL columns have no key.
---@alias SqlRow table<string, SqlValue>

---@class SqlRows: SqlRow[]
---@field columns string[] the column names, in the SELECT's order
---@class SqlBlob
---@field value string the bytes

---@class SqlOpenOptions
---@field timeout? number ms each call on the db may wait; nil: no limit
---@field busyTimeout? number SQLite: ms a writer waits for another connection's lock (default 5000)
---@field readonly? boolean SQLite: open read-only (default false)
---@field wal? boolean SQLite: write-ahead log, readers do not wait for writers (default true)
---@field pool? integer PostgreSQL: connections in the pool (default 4)

---@class SqlDb
local Db = {}

---Runs one or more statements separated by ";"; no parameters, rows discarded.
---@async
---@param sql string
---@return true|nil ok
---@return string|nil err
function Db:exec(sql) end

---Runs a statement with bound parameters (INSERT, UPDATE, DELETE, DDL).
---Errors: raises if `sql` is not a string or a parameter cannot be bound (a function, a cdata
---other than int64_t/uint64_t).
---@async
---@param sql string
---@param ... SqlParam
---@return number|nil changes rows changed
---@return number|ffi.cdata*|string|nil lastInsertId SQLite: the last inserted rowid; or err
function Db:run(sql, ...) end

---Every row at once.
---@async
---@param sql string
---@param ... SqlParam
---@return SqlRows|nil rows
---@return string|nil err
function Db:query(sql, ...) end

---The first row, or nil when there is none.
---@async
---@param sql string
---@param ... SqlParam
---@return SqlRow|nil row
---@return string|nil err
function Db:first(sql, ...) end

---An iterator over the rows: `for row in db:rows(sql, ...) do ... end`.
---Errors: a failing query raises at the loop, with the message the other methods return.
---@async
---@param sql string
---@param ... SqlParam
---@return fun(): SqlRow|nil
function Db:rows(sql, ...) end

---Runs `sql` once for each array of parameters in `list`, all or nothing, in one request.
---A row ending in NULLs says its width with `n`: `{ n = 2, 1, nil }`.
---Errors: raises if `list` is not an array of arrays; a failing row returns
---nil, "runMany: row <i>: <message> (<code>)" and nothing of the call is applied.
---@async
---@param sql string
---@param list SqlParam[][]
---@return number|nil changes total rows changed
---@return number|ffi.cdata*|string|nil lastInsertId or err
function Db:runMany(sql, list) end

---A prepared statement; bad SQL is reported now.
---@async
---@param sql string
---@return SqlStatement|nil stmt
---@return string|nil err
function Db:prepare(sql) end

---Calls `fn(tx)` inside BEGIN ... COMMIT and returns its results; if `fn` raises, rolls back
---and raises the same error. `tx:transaction` nests with a savepoint. On a single-connection
---db (SQLite) other tasks' calls wait until the transaction ends.
---Errors: raises what `fn` raised, or "transaction: <message>" when BEGIN or COMMIT fails.
---@async
---@generic R
---@param fn fun(tx: SqlDb): R
---@return R
function Db:transaction(fn) end

---Closes the db; calling it twice is fine. Later calls return nil, "closed".
---@async
---@return true
function Db:close() end

---@class SqlStatement
---@field sql string
local Statement = {}

---@async
---@param ... SqlParam
---@return number|nil changes
---@return number|ffi.cdata*|string|nil lastInsertId
function Statement:run(...) end

---@async
---@param list SqlParam[][]
---@return number|nil changes
---@return number|ffi.cdata*|string|nil lastInsertId or err
function Statement:runMany(list) end

---@async
---@param ... SqlParam
---@return SqlRows|nil rows
---@return string|nil err
function Statement:query(...) end

---@async
---@param ... SqlParam
---@return SqlRow|nil row
---@return string|nil err
function Statement:first(...) end

---@async
---@param ... SqlParam
---@return fun(): SqlRow|nil
function Statement:rows(...) end

---The same statement on another db object (a pooled transaction's `tx`).
---@param db SqlDb
---@return SqlStatement
function Statement:on(db) end

local sql = {}

---Opens a database: "sqlite:path", "sqlite::memory:", "postgres://user:pass@host:port/db".
---Errors: raises on a URL of no known scheme or options of the wrong type.
---@async
---@param url string
---@param opts? SqlOpenOptions
---@return SqlDb|nil db
---@return string|nil err "open '<path>': <message> (<code>)"
function sql.open(url, opts) end

---Marks a string as binary: it binds as BLOB (SQLite) / bytea (PostgreSQL), not text.
---Errors: raises if `s` is not a string.
---@param s string
---@return SqlBlob
function sql.blob(s) end

---`true` when `v` was made by sql.blob.
---@param v any
---@return boolean
function sql.isBlob(v) end

local sqlite = {}

---The SQLite driver behind `sql.open("sqlite:...")`; takes the same URL and options.
---@async
---@param url string "sqlite:path" or "sqlite::memory:"
---@param opts? SqlOpenOptions
---@return SqlDb|nil db
---@return string|nil err
function sqlite.open(url, opts) end

return sql
