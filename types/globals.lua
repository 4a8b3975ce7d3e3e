---@meta
-- Type definitions for tinn's scheduler words (DESIGN.md §2). Every word is a global and a field
-- of require("Application"), where it works called with '.' or ':' (`app:spawn(f, ...)`).

---@class Task
local Task = {}

---The task's number; the main chunk is task 1.
---@return integer
function Task:id() end

---The task's name (default `file:line` of its function); sets it when `name` is given.
---Errors: raises if `name` is not a string.
---@param name? string
---@return string
function Task:name(name) end

---@alias TaskStatus "ready"|"running"|"sleeping"|"waiting"|"done"|"failed"|"cancelled"

---@return TaskStatus
function Task:status() end

---Cancels the task, releasing at once what it waits on.
---@return boolean cancelled false if the task had already ended
function Task:cancel() end

---Waits for the task to end and returns its values, or nil and the error / "cancelled" / "timeout".
---Errors: raises outside a task, when a task joins itself, or on a bad timeout.
---@async
---@param timeoutMs? number
---@return any ...
function Task:join(timeoutMs) end

---Runs `fn(...)` as a new task.
---Errors: raises if `fn` is not callable.
---@param fn function
---@param ... any
---@return Task
function spawn(fn, ...) end

---Alias of spawn.
---@param fn function
---@param ... any
---@return Task
function coop(fn, ...) end

---TINN compatibility: spawns `fn`; a script ending in `run(main)` works unchanged.
---@param fn function
---@param ... any
---@return Task
function run(fn, ...) end

---Lets every other ready task run once, then continues; returns its arguments.
---Errors: raises outside a task.
---@async
---@param ... any
---@return any ...
function yield(...) end

---Suspends the calling task for `ms` milliseconds (monotonic clock).
---Errors: raises outside a task or if `ms` is not a non-negative number.
---@async
---@param ms number
function sleep(ms) end

---Runs `fn` once after `ms` milliseconds (default 1000, as TINN).
---Errors: raises if `fn` is not callable or `ms` is not a non-negative number.
---@param fn function
---@param ms? number
---@return Task
function delay(fn, ms) end

---Runs `fn` every `ms` milliseconds (default 1000) on a fixed grid (no drift; missed ticks are
---skipped). Errors: raises if `fn` is not callable or `ms` is not a positive number.
---@param fn function
---@param ms? number
---@return Task
function periodic(fn, ms) end

---Suspends the calling task until `pred()` is truthy; `pred` runs once per scheduler round,
---outside any task. Errors: raises outside a task or if `pred` is not a function; if `pred`
---raises, only this task fails.
---@async
---@param pred fun(): any
---@param timeoutMs? number give up after this many milliseconds; nil waits forever
---@return true|nil ok
---@return "timeout"|nil err
function waitFor(pred, timeoutMs) end

---Once `pred()` is truthy, runs `fn` once.
---@param pred fun(): any
---@param fn function
---@return Task
function when(pred, fn) end

---Runs `fn` each time `pred()` turns truthy (edge-triggered).
---@param pred fun(): any
---@param fn function
---@return Task
function whenever(pred, fn) end

---Suspends until signal `name` is sent; returns the values it was sent with, or nil, "timeout".
---Errors: raises outside a task or if `name` is nil.
---@async
---@param name any
---@param timeoutMs? number
---@return any ...
function waitSignal(name, timeoutMs) end

---Spawns a task that waits for signal `name` once and calls `fn(...)` with its values. It waits
---from the call on: a `signalOne(name)` right after onSignal reaches it.
---@param fn function
---@param name any
---@return Task
function onSignal(fn, name) end

---Wakes the longest-waiting task on `name` with `...`; returns how many woke (0 or 1).
---@param name any
---@param ... any
---@return integer
function signalOne(name, ...) end

---Wakes every task waiting on `name` with `...`; returns how many woke.
---@param name any
---@param ... any
---@return integer
function signalAll(name, ...) end

---Ends the program after the current task yields; other tasks are cancelled.
---Errors: raises if `code` is not an integer 0-255.
---@param code? integer exit status (default 0)
function stop(code) end

---Ends the program as `stop(code)` does (other tasks are cancelled, exit hooks run, logs are
---flushed); the calling task goes no further. `true` means 0, `false` 1.
---Errors: raises if `code` is not a boolean or an integer 0-255.
---@param code? integer|boolean exit status (default 0)
---@param close? boolean ignored (the Lua state is always closed in order)
function os.exit(code, close) end

---Installs `fn(err, task)` as the handler of uncaught task errors (nil removes it).
---@param fn? fun(err: any, task: Task)
---@return fun(err: any, task: Task)|nil previous the handler it replaced
function onError(fn) end

---@class TaskInfo
---@field id integer
---@field name string
---@field status TaskStatus
---@field waitingOn? "sleep"|"signal"|"predicate"|"io"|"join"
---@field target any what it waits on (signal name, operation id, task id, predicate)
---@field task Task

---@class tinn
---@field version string
tinn = {}

---Lists live tasks, ordered by id.
---@return TaskInfo[]
function tinn.tasks() end

---The running task, or nil outside tasks.
---@return Task|nil
function tinn.currentTask() end

---The monotonic clock in milliseconds.
---@return number
function tinn.now() end

---Runs `fn` when the program ends (normal end, stop(), uncaught error, Ctrl-C). Cannot suspend.
---@param fn function
function tinn.atExit(fn) end
