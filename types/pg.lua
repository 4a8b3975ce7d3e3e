---@meta
-- Type definitions for tinn.pg, the PostgreSQL driver of tinn.sql (docs/pg.md). The db's
-- shared methods (exec, run, query, first, rows, prepare, transaction, close) are SqlDb's, in
-- types/sql.lua.

---@class PgOpenOptions
---@field pool? integer connections at most (default 4)
---@field timeout? number milliseconds each call and connecting may take; nil: no limit
---@field ca? string PEM text or the path of a PEM file of a CA to trust; implies TLS

---@class PgDb: SqlDb
local PgDb = {}

---Bulk load through COPY ... FROM STDIN. `rows` is an array of arrays, values in the COPY
---column order (nil for NULL; set `row.n` when a row ends in nils). One bad row fails the whole
---COPY and nothing is loaded.
---Errors: raises if `sql` is not a string or `rows` not an array of tables.
---@async
---@param sql string e.g. "COPY t (a, b) FROM STDIN"
---@param rows any[][]
---@return integer|nil count rows loaded
---@return string|nil err "copyIn: <server message> (<SQLSTATE>)", "timeout", "closed"
function PgDb:copyIn(sql, rows) end

---NOTIFY on `channel` raises the named signal "pg:" .. channel with the payload string as its
---value (`waitSignal("pg:jobs")`). While a channel is listened to, the program keeps running.
---Errors: raises if `channel` is not a non-empty string.
---@async
---@param channel string
---@return true|nil ok
---@return string|nil err
function PgDb:listen(channel) end

---Stops listening to `channel`; with no channel left the LISTEN connection closes.
---@async
---@param channel string
---@return true|nil ok
---@return string|nil err
function PgDb:unlisten(channel) end

---Sets the default timeout (ms) of this db's calls; nil: no limit.
---Errors: raises on a negative or non-number timeout.
---@param ms number|nil
function PgDb:settimeout(ms) end

local pg = {}

---Opens a pool of connections to a PostgreSQL server (usually through sql.open). The first
---connection opens now, so a wrong password or an unreachable server is reported here.
---`?sslmode=require` in the URL, or `opts.ca`, asks for TLS; the server's certificate is
---always verified. A password never appears in a message.
---Errors: raises if `url` is not a string or an option is malformed.
---@async
---@param url string "postgres://user:pass@host:port/db[?sslmode=require]"
---@param opts? PgOpenOptions
---@return PgDb|nil db
---@return string|nil err "connect '<url without password>': <reason> (<SQLSTATE>)", "timeout"
function pg.open(url, opts) end

return pg
