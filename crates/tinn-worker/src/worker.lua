-- tinn.worker: workers ("computicles", DESIGN.md §4): threads with their own Lua state and
-- scheduler, fed messages through bounded queues (docs/worker.md).
--
--   local worker = require("tinn.worker")
--   local w = worker.spawn("local n = ... ; worker = require('tinn.worker') " ..
--     "worker.post(worker.receive() * n)", { args = 3 })
--   w:post(14)
--   print(w:receive(), w:join())                     --> 42
--
-- Waiting words (post on a full queue, receive, join) suspend only the calling task. The
-- native functions return `false, message` for misuse; these wrappers raise it at the
-- caller's line.

local native = ...
local reactor = require("tinn.reactor")
local check = require("tinn.check")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, error, setmetatable, tostring = type, error, setmetatable, tostring

-- Not a tail call from the public function (`local a, b = ...; return a, b`), so `level` 2
-- still blames the line that called it.
local function raiseOr(level, ok, ...)
  if ok == false then error((...), level + 1) end
  return ok, ...
end

---------------------------------------------------------------------------------------------------
-- The parent's handle
---------------------------------------------------------------------------------------------------

local Worker = {}
Worker.__index = Worker

--- w:post(msg) -> true | nil, "closed". Suspends the task while the worker's queue is full.
function Worker:post(msg)
  local ok, err = raiseOr(2, await(nil, self.handle:post(msg)))
  return ok, err
end

--- w:receive([timeoutMs]) -> msg | nil, "closed" | nil, "timeout"
function Worker:receive(timeoutMs)
  checkTimeout(timeoutMs, 1, "worker:receive")
  return await(timeoutMs, self.handle:receive())
end

--- w:join([timeoutMs]) -> the worker's return values | nil, err | nil, "timeout"
function Worker:join(timeoutMs)
  checkTimeout(timeoutMs, 1, "worker:join")
  return await(timeoutMs, self.handle:join())
end

--- w:quit() delivers the signal "QUIT" in the worker; false if it has already ended.
function Worker:quit() return self.handle:quit() end

--- w:status() -> "running" | "done" | "failed"
function Worker:status() return self.handle:status() end

function Worker:__tostring() return tostring(self.handle) end

---------------------------------------------------------------------------------------------------
-- The module
---------------------------------------------------------------------------------------------------

local worker = { isWorker = native.isWorker, id = native.id, name = native.name, args = native.args }

--- worker.spawn(pathOrCode [, {args = msg, name = s}]) -> handle
function worker.spawn(source, opts)
  if type(source) ~= "string" then argError(1, "worker.spawn", "path or code expected, got " .. type(source)) end
  local args, name
  if opts ~= nil then
    if type(opts) ~= "table" then argError(2, "worker.spawn", "options table expected, got " .. type(opts)) end
    args, name = opts.args, opts.name
    if name ~= nil and type(name) ~= "string" then
      argError(2, "worker.spawn", "name must be a string, got " .. type(name))
    end
  end
  local handle, err = native.spawn(source, args, name)
  if not handle then error(err, 2) end
  return setmetatable({ handle = handle, id = handle.id, name = handle.name }, Worker)
end

--- worker.cpus() -> the number of cores this process may use (for sizing pools)
worker.cpus = native.cpus

--- Inside a worker: worker.post(msg) -> true | nil, "closed"; suspends while the parent's queue is full.
function worker.post(msg)
  local ok, err = raiseOr(2, await(nil, native.post(msg)))
  return ok, err
end

--- Inside a worker: worker.receive([timeoutMs]) -> msg | nil, "closed" | nil, "timeout"
function worker.receive(timeoutMs)
  if not native.isWorker then
    error("worker.receive: not inside a worker (this is the main program; use the handle worker.spawn returned)", 2)
  end
  checkTimeout(timeoutMs, 1, "worker.receive")
  return await(timeoutMs, native.receive())
end

return worker
