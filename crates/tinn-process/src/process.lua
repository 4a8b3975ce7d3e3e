-- tinn.process: child processes whose waits and pipes suspend only the calling task
-- (DESIGN.md §4, docs/process.md).
--
--   local process = require("tinn.process")
--   local status, out = process.exec("echo", "hello")          --> 0   "hello\n"
--   local proc = assert(process.spawn{ cmd = "cat", stdin = "pipe", stdout = "pipe" })
--   proc.stdin:write("one\n") proc.stdin:close()
--   print(proc.stdout:read("l"), proc:wait())                  --> one   0
--
-- Pipe streams read like tinn.net streams: read(n | "l" | "L" | "a" [, timeoutMs]), nil at
-- end of stream, nil, "timeout" when the timeout expires (the stream stays usable). Failures
-- return nil and a message naming the command; misuse raises at the caller's line.

local native = ...
local reactor = require("tinn.reactor")
local check = require("tinn.check")

local await = reactor.await
local argError, checkTimeout = check.argError, check.timeout
local type, tostring, setmetatable, floor, pairs, select = type, tostring, setmetatable, math.floor, pairs, select
local format = string.format

local SIGNALS = { HUP = 1, INT = 2, QUIT = 3, KILL = 9, USR1 = 10, USR2 = 12, TERM = 15, CONT = 18, STOP = 19 }

---------------------------------------------------------------------------------------------------
-- Pipe streams
---------------------------------------------------------------------------------------------------

local handleMethods = require("tinn.handle")

local Reader = {}
Reader.__index = Reader

require("tinn.stream").addReaders(Reader, "pipe")

-- reader:settimeout(ms), reader:close() (stops reading; waiting tasks get nil, "closed"), isClosed()
handleMethods.addMethods(Reader, "pipe", function(self) return format("PipeReader(%s)", self.name) end)

local Writer = {}
Writer.__index = Writer

--- writer:write(s [, timeoutMs]) -> bytes written | nil, err
function Writer:write(data, timeoutMs)
  data = check.data(data, 1, "pipe:write")
  checkTimeout(timeoutMs, 2, "pipe:write")
  return await(timeoutMs or self.timeout, self.handle:write(data))
end

-- writer:settimeout(ms), writer:close() (the child reads end of file), isClosed()
handleMethods.addMethods(Writer, "pipe", function(self) return format("PipeWriter(%s)", self.name) end)

---------------------------------------------------------------------------------------------------
-- Processes
---------------------------------------------------------------------------------------------------

local Process = {}
Process.__index = Process

--- proc:wait([timeoutMs]) -> exit code | nil, "killed by signal N" | nil, "timeout"
function Process:wait(timeoutMs)
  checkTimeout(timeoutMs, 1, "proc:wait")
  return await(timeoutMs, self.handle:wait())
end

--- proc:kill([signal]) -> true | nil, err. signal: a number or a name ("TERM", "SIGKILL"); TERM by default.
function Process:kill(signal)
  local number = signal
  if signal == nil then
    number = SIGNALS.TERM
  elseif type(signal) == "string" then
    number = SIGNALS[signal:upper():gsub("^SIG", "")]
    if not number then argError(1, "proc:kill", "unknown signal name '" .. signal .. "'") end
  elseif type(signal) ~= "number" or signal ~= floor(signal) or signal < 0 or signal > 64 then
    argError(1, "proc:kill", "signal must be a name or an integer 0-64, got " .. tostring(signal))
  end
  return self.handle:kill(number)
end

function Process:__tostring() return format("Process(%s, pid %d)", self.cmd, self.pid) end

local STDIO = { pipe = true, inherit = true, null = true }

local function checkStringList(list, what)
  if list == nil then return end
  if type(list) ~= "table" then argError(1, "process.spawn", what .. " must be a table, got " .. type(list), 1) end
  for i = 1, #list do
    local kind = type(list[i])
    if kind ~= "string" and kind ~= "number" then
      argError(1, "process.spawn", format("%s[%d] must be a string, got %s", what, i, kind), 1)
    end
    list[i] = tostring(list[i])
  end
end

--- process.spawn{cmd, args, cwd, env, clearEnv, stdin, stdout, stderr} -> proc | nil, err
--- stdin/stdout/stderr: "pipe", "inherit" (default) or "null". env adds to (or, with
--- clearEnv = true, replaces) the inherited environment; a false value removes a variable.
local function spawn(options)
  if type(options) == "string" then options = { cmd = options } end
  if type(options) ~= "table" then argError(1, "process.spawn", "options table expected, got " .. type(options)) end
  if type(options.cmd) ~= "string" then
    argError(1, "process.spawn", "cmd must be a string, got " .. type(options.cmd))
  end
  local args = {}
  if options.args ~= nil then
    if type(options.args) ~= "table" then argError(1, "process.spawn", "args must be a table, got " .. type(options.args)) end
    for i = 1, #options.args do args[i] = options.args[i] end
  end
  checkStringList(args, "args")
  if options.cwd ~= nil and type(options.cwd) ~= "string" then
    argError(1, "process.spawn", "cwd must be a string, got " .. type(options.cwd))
  end
  if options.env ~= nil then
    if type(options.env) ~= "table" then argError(1, "process.spawn", "env must be a table, got " .. type(options.env)) end
    for k, v in pairs(options.env) do
      local kv = type(v)
      if type(k) ~= "string" or (kv ~= "string" and kv ~= "number" and v ~= false) then
        argError(1, "process.spawn", format("env.%s must be a string, number or false, got %s", tostring(k), kv))
      end
    end
  end
  for _, name in ipairs({ "stdin", "stdout", "stderr" }) do
    local mode = options[name]
    if mode ~= nil and not STDIO[mode] then
      argError(1, "process.spawn", format("%s must be 'pipe', 'inherit' or 'null', got %s", name, tostring(mode)))
    end
  end
  local result, err = native.spawn({
    cmd = options.cmd, args = args, cwd = options.cwd, env = options.env, clearEnv = options.clearEnv == true,
    stdin = options.stdin, stdout = options.stdout, stderr = options.stderr,
  })
  if not result then return nil, err end
  local proc = setmetatable({ handle = result.handle, pid = result.handle.pid, cmd = options.cmd }, Process)
  if result.stdin then proc.stdin = setmetatable({ handle = result.stdin, name = "stdin of " .. options.cmd }, Writer) end
  if result.stdout then proc.stdout = setmetatable({ handle = result.stdout, name = "stdout of " .. options.cmd }, Reader) end
  if result.stderr then proc.stderr = setmetatable({ handle = result.stderr, name = "stderr of " .. options.cmd }, Reader) end
  return proc
end

--- process.exec(cmd, ...) -> status, stdout, stderr | nil, "killed by signal N", stdout, stderr | nil, err
--- Runs cmd with the arguments (searched on PATH), stdin from /dev/null, and collects its output.
local function exec(cmd, ...)
  if type(cmd) ~= "string" then argError(1, "process.exec", "command string expected, got " .. type(cmd)) end
  local args = { ... }
  for i = 1, select("#", ...) do
    local kind = type(args[i])
    if kind ~= "string" and kind ~= "number" then
      argError(i + 1, "process.exec", "string argument expected, got " .. kind)
    end
    args[i] = tostring(args[i])
  end
  return await(nil, native.exec(cmd, args))
end

return { spawn = spawn, exec = exec, signals = SIGNALS }
