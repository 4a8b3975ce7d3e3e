---@meta
-- Type definitions for tinn.worker (docs/worker.md).

---A value that can cross to another thread: nil, boolean, number, string (binary-safe) or a
---table of these (nested, arrays and maps; shared subtables are copied, cycles refused).
---Metatables are not sent.
---@alias tinn.worker.Message nil|boolean|number|string|table

---@class tinn.worker
---@field isWorker boolean true inside a worker, false in the main program
---@field id integer|nil this worker's id (nil in the main program)
---@field name string|nil this worker's name (nil in the main program)
---@field args tinn.worker.Message|nil `opts.args` given to `worker.spawn` (also the main chunk's `...`)
local worker = {}

---The parent's handle on a worker.
---@class tinn.Worker
---@field id integer unique in the process
---@field name string `opts.name`, or "worker <id>"
local Worker = {}

---Starts a worker: an OS thread with its own Lua state and scheduler running `pathOrCode`
---(a path when it names an existing file, relative to the working directory; else Lua code)
---as task 1, with `opts.args` as `worker.args` and `...`.
---Errors: raises if `pathOrCode` is not a string, `opts` not a table, `opts.args` holds a value
---that cannot be sent (naming its path: `args.handlers[2]`), or the thread cannot be started.
---@param pathOrCode string
---@param opts? {args?: tinn.worker.Message, name?: string}
---@return tinn.Worker
function worker.spawn(pathOrCode, opts) end

---The number of cores this process may use, for sizing pools.
---@return integer
function worker.cpus() end

---Inside a worker: sends `msg` to the parent. Suspends the calling task while the parent's
---queue (256 messages) is full.
---Errors: raises in the main program, or if `msg` holds a function, userdata, coroutine, a
---cycle or tables nested over 200 levels (the message names the path, e.g. `msg.a[2]`).
---@async
---@param msg tinn.worker.Message
---@return true|nil ok
---@return "closed"|nil err the parent is gone
function worker.post(msg) end

---Inside a worker: the next message from the parent.
---Errors: raises in the main program or on a bad timeout.
---@async
---@param timeoutMs? number nil waits forever
---@return tinn.worker.Message msg
---@return "closed"|"timeout"|nil err "closed" once the parent's handle is gone
function worker.receive(timeoutMs) end

---Sends `msg` to the worker; suspends the calling task while its queue (256) is full.
---Errors: raises if `msg` cannot be sent, naming the path (see `worker.post`).
---@async
---@param msg tinn.worker.Message
---@return true|nil ok
---@return "closed"|nil err the worker has ended
function Worker:post(msg) end

---The next message the worker posted; messages posted before it ended can still be read.
---Errors: raises on a bad timeout.
---@async
---@param timeoutMs? number nil waits forever
---@return tinn.worker.Message msg
---@return "closed"|"timeout"|nil err "closed" once the worker ended and its queue is empty
function Worker:receive(timeoutMs) end

---Waits for the worker to end: its main chunk's return values; `nil, err` if it failed (its
---error and traceback; also a non-zero exit status); nothing after a clean quit.
---Errors: raises on a bad timeout.
---@async
---@param timeoutMs? number nil waits forever
---@return any ...
function Worker:join(timeoutMs) end

---Delivers the signal "QUIT" in the worker. With no task waiting for it (`waitSignal("QUIT")`)
---the worker shuts down cleanly: tasks cancelled, exit hooks run, status 0. A worker that never
---yields sees it only when it yields.
---@return boolean delivered false if the worker has already ended
function Worker:quit() end

---@return "running"|"done"|"failed"
function Worker:status() end

return worker
