---@meta
-- Type definitions for tinn.process (docs/process.md).

---@class PipeReader
---@field timeout? number default timeout (ms) of this pipe's calls
local PipeReader = {}

---Reads up to `n` bytes (default 64 KiB), a line ("l" without, "L" with its end of line) or
---everything until the child closes the pipe ("a"). Returns nil at end of stream.
---Errors: raises on a bad format or timeout argument.
---@async
---@param pattern? integer|"l"|"L"|"a"
---@param timeoutMs? number
---@return string|nil data
---@return string|nil err "timeout", "closed" or "read stdout of '<cmd>': <OS error>"
function PipeReader:read(pattern, timeoutMs) end

---Reads exactly `n` bytes (fewer only at end of stream).
---@async
---@param n integer
---@param timeoutMs? number
---@return string|nil data
---@return string|nil err
function PipeReader:readExactly(n, timeoutMs) end

---Iterates over lines until end of stream. Errors: the iterator raises if a read fails.
---@async
---@param timeoutMs? number
---@return fun(): string|nil
function PipeReader:lines(timeoutMs) end

---@param ms number|nil
function PipeReader:settimeout(ms) end

---Stops reading; tasks waiting on the pipe get nil, "closed". Safe to repeat.
function PipeReader:close() end

---@return boolean
function PipeReader:isClosed() end

---@class PipeWriter
---@field timeout? number
local PipeWriter = {}

---Writes `data`, waiting while the pipe is full. Errors: raises if `data` is not a string.
---@async
---@param data string
---@param timeoutMs? number
---@return integer|nil written
---@return string|nil err "timeout", "closed" or "write stdin of '<cmd>': Broken pipe (os error 32)"
function PipeWriter:write(data, timeoutMs) end

---@param ms number|nil
function PipeWriter:settimeout(ms) end

---Closes the child's input (it reads end of file). Safe to repeat.
function PipeWriter:close() end

---@return boolean
function PipeWriter:isClosed() end

---@class Process
---@field pid integer
---@field cmd string
---@field stdin? PipeWriter present when spawned with stdin = "pipe"
---@field stdout? PipeReader present when spawned with stdout = "pipe"
---@field stderr? PipeReader present when spawned with stderr = "pipe"
local Process = {}

---Waits for the child to end. Errors: raises on a bad timeout.
---@async
---@param timeoutMs? number
---@return integer|nil code exit code
---@return string|nil err "killed by signal N" or "timeout"
function Process:wait(timeoutMs) end

---Sends a signal (default TERM). Errors: raises on an unknown signal name.
---@param signal? integer|string number or name ("TERM", "SIGKILL", ...)
---@return boolean|nil ok
---@return string|nil err
function Process:kill(signal) end

---@alias StdioMode "pipe"|"inherit"|"null"

---@class SpawnOptions
---@field cmd string program (searched on PATH unless it contains "/")
---@field args? string[]
---@field cwd? string
---@field env? table<string, string|number|false> added to the inherited environment; false removes
---@field clearEnv? boolean start from an empty environment
---@field stdin? StdioMode default "inherit"
---@field stdout? StdioMode default "inherit"
---@field stderr? StdioMode default "inherit"

local process = {}

---Starts a program. Errors: raises on malformed options; returns nil, err if it cannot start
---(`spawn 'nosuchcmd': No such file or directory (os error 2)`).
---@param options SpawnOptions|string
---@return Process|nil
---@return string|nil err
function process.spawn(options) end

---Runs a program to its end and collects its output.
---Errors: raises if an argument is not a string or number.
---@async
---@param cmd string
---@param ... string|number
---@return integer|nil status exit code, nil if killed by a signal or not started
---@return string stdoutOrErr stdout, or the error message when status is nil
---@return string|nil stderrOrStdout
---@return string|nil stderr only when killed by a signal
function process.exec(cmd, ...) end

---@type table<string, integer>
process.signals = {}

return process
