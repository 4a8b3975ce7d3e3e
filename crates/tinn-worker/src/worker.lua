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
local ffi = require("ffi")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, error, setmetatable, tostring, floor = type, error, setmetatable, tostring, math.floor
local MISUSE = native.MISUSE
local bytePointer = ffi.typeof("uint8_t *")

-- Not a tail call from the public function (`local a, b = ...; return a, b`), so `level` 2
-- still blames the line that called it.
local function raiseOr(level, ok, ...)
  if ok == false then error((...), level + 1) end
  return ok, ...
end

-- The same for receive, whose misuse comes with the MISUSE marker (`false` is a message).
-- Called as a tail call, so level 2 is the line that called the public function.
local function received(first, ...)
  if first == MISUSE then error((...), 2) end
  return first, ...
end

---------------------------------------------------------------------------------------------------
-- The parent's handle
---------------------------------------------------------------------------------------------------

local Worker = {}
Worker.__index = Worker

--- w:post(msg [, timeoutMs]) -> true | nil, "closed" | nil, "timeout". Suspends the task while
--- the worker's queue is full.
function Worker:post(msg, timeoutMs)
  checkTimeout(timeoutMs, 2, "worker:post")
  local ok, err = raiseOr(2, await(timeoutMs, self.handle:post(msg)))
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

local worker = { isWorker = native.isWorker, id = native.id, name = native.name }

-- `worker.args` is read when first used: a channel end among the args loads this module while
-- the args are still being unpacked.
setmetatable(worker, { __index = function(_, key)
  if key == "args" then return native.args() end
end })

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
  -- a relative path that is not found from the working directory is tried from the directory
  -- of the script calling spawn
  local caller = debug.getinfo(2, "S").source
  local base = caller:sub(1, 1) == "@" and caller:match("^@(.*)/[^/]*$") or nil
  local handle, err = native.spawn(source, args, name, base)
  if not handle then error(err, 2) end
  return setmetatable({ handle = handle, id = handle.id, name = handle.name }, Worker)
end

--- worker.cpus() -> the number of cores this process may use (for sizing pools)
worker.cpus = native.cpus

--- Inside a worker: worker.post(msg [, timeoutMs]) -> true | nil, "closed" | nil, "timeout";
--- suspends while the parent's queue is full.
function worker.post(msg, timeoutMs)
  checkTimeout(timeoutMs, 2, "worker.post")
  local ok, err = raiseOr(2, await(timeoutMs, native.post(msg)))
  return ok, err
end

--- Inside a worker: worker.receive([timeoutMs]) -> msg | nil, "closed" | nil, "timeout"
function worker.receive(timeoutMs)
  checkTimeout(timeoutMs, 1, "worker.receive")
  return received(await(timeoutMs, native.receive()))
end

--- worker.channel([capacity]) -> a, b: two connected channel ends ("ports"); what one posts the
--- other receives. Ends can be sent to other workers inside messages (they move).
function worker.channel(capacity)
  if capacity == nil then capacity = 256 end
  if type(capacity) ~= "number" or capacity < 1 or capacity > 1048576 or capacity ~= floor(capacity) then
    local got = type(capacity) == "number" and tostring(capacity) or type(capacity)
    argError(1, "worker.channel", "capacity must be a whole number from 1 to 1048576, got " .. got)
  end
  return native.channel(capacity)
end

--- worker.buffer(size | string) -> buf: bytes for ffi code (`buf.ptr`, `buf.size`) that a
--- message moves to another worker without copying.
function worker.buffer(init)
  local buf, err = native.buffer(init)
  if not buf then error(err, 2) end
  return buf
end

---------------------------------------------------------------------------------------------------
-- Channel ends (userdata made in Rust; these are their methods)
---------------------------------------------------------------------------------------------------

local Port = {}

--- port:post(msg [, timeoutMs]) -> true | nil, "closed" | nil, "timeout"; suspends while the
--- other end's queue is full.
function Port:post(msg, timeoutMs)
  checkTimeout(timeoutMs, 2, "port:post")
  local ok, err = raiseOr(2, await(timeoutMs, native.portPost(self, msg)))
  return ok, err
end

--- port:receive([timeoutMs]) -> msg | nil, "closed" | nil, "timeout"
function Port:receive(timeoutMs)
  checkTimeout(timeoutMs, 1, "port:receive")
  return received(await(timeoutMs, native.portReceive(self)))
end

--- port:close(): the other end reads what was sent, then gets nil, "closed".
Port.close = native.portClose

native.setClass("Port", Port)

---------------------------------------------------------------------------------------------------
-- Buffers
---------------------------------------------------------------------------------------------------

local Buffer = {}

--- buf:tostring([offset [, length]]) -> a copy of the bytes as a string
function Buffer:tostring(offset, length)
  local text = raiseOr(2, native.bufferString(self, offset, length))
  return text
end

local bufferPointer, bufferSize, bufferMoved = native.bufferPointer, native.bufferSize, native.bufferMoved

native.setClass("Buffer", function(buf, key)
  local method = Buffer[key]
  if method then return method end
  if key == "ptr" then
    local address, err = bufferPointer(buf)
    if not address then error(err, 2) end
    return ffi.cast(bytePointer, address)
  elseif key == "size" then
    local size, err = bufferSize(buf)
    if not size then error(err, 2) end
    return size
  elseif key == "moved" then
    return bufferMoved(buf)
  end
  return nil
end)

return worker
