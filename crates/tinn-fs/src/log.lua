-- tinn.log: buffered append-only log files with levels and size-based rotation (DESIGN.md §4).
--
--   local log = require("tinn.log")
--   local logger = assert(log.open("app.log", { level = "info", maxBytes = 1e6, keep = 3 }))
--   logger:info("listening on port %d", 8080)   -- 2026-11-25T07:00:00.123Z INFO listening on port 8080
--   logger:debug("not written: below the level")
--
-- Lines go to a buffer that is written in the background (after `flushMs`, at once when it
-- passes `bufferSize`). Logging suspends only when the buffer passes `maxBuffered` (the disk is
-- slower than the task): then the task waits for the writer, so nothing is dropped and memory
-- stays bounded. Whatever is still buffered is written when the program ends: normally, by
-- stop(), by an uncaught error or by Ctrl-C.

local native = ...
local reactor = require("tinn.reactor")

local await = reactor.await
local currentTask, atExit = tinn.currentTask, tinn.atExit
local type, tostring, setmetatable, select, pairs, floor = type, tostring, setmetatable, select, pairs, math.floor
local format = string.format

local LEVELS = { debug = 1, info = 2, warn = 3, error = 4 }
local NAMES = { "DEBUG", "INFO", "WARN", "ERROR" }
local LEVEL_NAMES = { "debug", "info", "warn", "error" }
local DEFAULT_KEEP = 5
local DEFAULT_FLUSH_MS = 0
local DEFAULT_BUFFER_SIZE = 64 * 1024
local DEFAULT_MAX_BUFFERED = 4 * 1024 * 1024
local MAX_KEEP = 1000
local MAX_INTEGER = 2 ^ 53

local check = require("tinn.check")
local argError, checkTimeout = check.argError, check.timeout

local function checkLevel(level, n, fname)
  local index = LEVELS[level]
  if not index then
    argError(n, fname, "level must be 'debug', 'info', 'warn' or 'error', got " ..
      (type(level) == "string" and "'" .. level .. "'" or tostring(level)), 1)
  end
  return index
end

-- An integer option in min..max, or its default when nil.
local function count(opts, name, default, min, max)
  local value = opts[name]
  if value == nil then return default end
  if type(value) ~= "number" or value ~= floor(value) or value < min or value > max then
    argError(2, "log.open", format("option '%s' must be an integer %d-%s, got %s", name, min,
      max == MAX_INTEGER and "2^53" or tostring(max), tostring(value)), 1)
  end
  return value
end

-- Loggers not yet closed; the exit hook writes what they still buffer.
local open = {}

atExit(function()
  for logger in pairs(open) do
    local ok, err = logger.handle:flushNow()
    if not ok then io.stderr:write("tinn: ", tostring(err), "\n") end
  end
end)

local Logger = {}
Logger.__index = Logger

local function write(self, index, fmt, ...)
  local message
  if select("#", ...) == 0 then message = tostring(fmt) else message = format(fmt, ...) end
  local appended = self.handle:append(NAMES[index], message)
  if appended == true then return true end
  if not appended then return nil, "closed" end
  -- "full": the disk is behind; wait for the writer (outside a task, write from here)
  local ok, err
  if currentTask() == nil then ok, err = self.handle:flushNow() else ok, err = await(nil, self.handle:flush()) end
  if not ok then return nil, err end
  return true
end

--- logger:log(level, fmt, ...) -> true | nil, err
--- Writes `string.format(fmt, ...)` (or `tostring(fmt)` alone) at `level` if it is at or
--- above the logger's level. Suspends only while more than `maxBuffered` bytes wait for the
--- disk; err is "closed", or the failure of that wait's write.
function Logger:log(level, fmt, ...)
  local index = checkLevel(level, 1, "logger:log")
  if index < self.threshold then return true end
  return write(self, index, fmt, ...)
end

function Logger:debug(fmt, ...)
  if self.threshold > 1 then return true end
  return write(self, 1, fmt, ...)
end

function Logger:info(fmt, ...)
  if self.threshold > 2 then return true end
  return write(self, 2, fmt, ...)
end

function Logger:warn(fmt, ...)
  if self.threshold > 3 then return true end
  return write(self, 3, fmt, ...)
end

function Logger:error(fmt, ...)
  return write(self, 4, fmt, ...)
end

--- logger:level([name]) -> the level name; sets it when `name` is given.
function Logger:level(name)
  if name ~= nil then self.threshold = checkLevel(name, 1, "logger:level") end
  return LEVEL_NAMES[self.threshold]
end

--- logger:flush([timeoutMs]) -> true | nil, err
--- Waits until every buffered line is written. Outside a task (an exit hook) it writes from
--- the calling thread instead of suspending. Reports a failure of an earlier background write.
function Logger:flush(timeoutMs)
  checkTimeout(timeoutMs, 1, "logger:flush")
  if currentTask() == nil then return self.handle:flushNow() end
  return await(timeoutMs, self.handle:flush())
end

--- logger:close([timeoutMs]) -> true | nil, err
--- Writes what is buffered and closes the file; safe to repeat. Later lines return nil, "closed".
function Logger:close(timeoutMs)
  checkTimeout(timeoutMs, 1, "logger:close")
  open[self] = nil
  if currentTask() == nil then return self.handle:closeNow() end
  return await(timeoutMs, self.handle:close())
end

function Logger:isClosed() return self.handle:isClosed() end

function Logger:__tostring() return format("Logger(%s)", self.path) end

local log = {}

--- log.open(path [, opts]) -> logger | nil, err
--- Opens (creating) `path` for appending. opts: `level` ("debug", "info" (default), "warn",
--- "error"); `maxBytes`: rotate before the file would pass this size (`path` -> `path.1` ->
--- ... -> `path.<keep>`, the oldest dropped); `keep` (default 5, at most 1000; 0 truncates);
--- `flushMs` (default 0: write at the end of the current scheduler round) and `bufferSize`
--- (default 64 KiB: write at once when this much is buffered); `maxBuffered` (default 4 MiB, at
--- least `bufferSize`: past it a logging task waits for the writer); `timeout` bounds the open.
function log.open(path, opts)
  if type(path) ~= "string" then argError(1, "log.open", "string expected, got " .. type(path)) end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then argError(2, "log.open", "options table expected, got " .. type(opts)) end
  local threshold = checkLevel(opts.level or "info", 2, "log.open")
  local maxBytes = count(opts, "maxBytes", nil, 1, MAX_INTEGER)
  local keep = count(opts, "keep", DEFAULT_KEEP, 0, MAX_KEEP)
  local flushMs = count(opts, "flushMs", DEFAULT_FLUSH_MS, 0, MAX_INTEGER)
  local bufferSize = count(opts, "bufferSize", DEFAULT_BUFFER_SIZE, 1, MAX_INTEGER)
  local maxBuffered = count(opts, "maxBuffered", math.max(DEFAULT_MAX_BUFFERED, bufferSize), bufferSize, MAX_INTEGER)
  checkTimeout(opts.timeout, 2, "log.open")
  local handle, err = await(opts.timeout, native.open(path, maxBytes, keep, flushMs, bufferSize, maxBuffered))
  if not handle then return nil, err end
  local logger = setmetatable({ handle = handle, path = path, threshold = threshold }, Logger)
  open[logger] = true
  return logger
end

return log
