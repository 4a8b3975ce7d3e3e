---@meta
-- Type definitions for tinn.log (docs/log.md).

---@alias LogLevel "debug"|"info"|"warn"|"error"

---@class Logger
---@field path string
local Logger = {}

---Writes `string.format(fmt, ...)` (or `tostring(fmt)` when there are no more arguments) as
---`<UTC timestamp> DEBUG <message>` if the logger's level lets it through. Suspends only while
---more than `maxBuffered` bytes wait for the disk (the task waits for the writer).
---Errors: raises if `fmt` and the arguments do not fit `string.format`.
---@param fmt any
---@param ... any
---@return true|nil ok
---@return "closed"|string|nil err
function Logger:debug(fmt, ...) end

---As `debug`, at level "info".
---@param fmt any
---@param ... any
---@return true|nil ok
---@return "closed"|string|nil err
function Logger:info(fmt, ...) end

---As `debug`, at level "warn".
---@param fmt any
---@param ... any
---@return true|nil ok
---@return "closed"|string|nil err
function Logger:warn(fmt, ...) end

---As `debug`, at level "error".
---@param fmt any
---@param ... any
---@return true|nil ok
---@return "closed"|string|nil err
function Logger:error(fmt, ...) end

---Writes at `level`. Errors: raises on an unknown level.
---@param level LogLevel
---@param fmt any
---@param ... any
---@return true|nil ok
---@return "closed"|string|nil err
function Logger:log(level, fmt, ...) end

---The logger's level; sets it when `name` is given. Errors: raises on an unknown level.
---@param name? LogLevel
---@return LogLevel
function Logger:level(name) end

---Waits until every buffered line is written. Outside a task (in an exit hook) it writes from
---the calling thread instead of suspending. Also reports the failure of an earlier background write.
---Errors: raises on a bad timeout.
---@async
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err "timeout", "closed", "log '<path>': <OS error>" or "rotate '<path>': <OS error>"
function Logger:flush(timeoutMs) end

---Writes what is buffered and closes the file; safe to repeat. Later lines return nil, "closed".
---@async
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err
function Logger:close(timeoutMs) end

---@return boolean
function Logger:isClosed() end

---@class LogOptions
---@field level? LogLevel lines below it are dropped (default "info")
---@field maxBytes? integer rotate before the file would pass this size (default: never)
---@field keep? integer rotated files kept, `path.1` (newest) ... `path.<keep>` (default 5, at most 1000; 0 truncates)
---@field flushMs? integer how long lines may wait in memory (default 0: written at the end of the scheduler round)
---@field bufferSize? integer write at once when this many bytes are buffered (default 65536)
---@field maxBuffered? integer past this many buffered bytes a logging task waits for the writer (default 4 MiB, at least bufferSize)
---@field timeout? number bounds the open (ms)

---@class tinn.log
local log = {}

---Opens (creating) `path` for appending. Lines still buffered when the program ends (normally,
---by stop(), an uncaught error or Ctrl-C) are written then.
---Errors: raises if `path` is not a string or an option is out of range.
---@async
---@param path string
---@param opts? LogOptions
---@return Logger|nil logger
---@return string|nil err "timeout" or "log.open '<path>': <OS error>"
function log.open(path, opts) end

return log
