---@meta
-- Type definitions for tinn.worker (docs/worker.md).

---A value that can cross to another thread: nil, boolean, number, string (binary-safe), a
---buffer or channel end (moved, not copied), or a table of these (nested, arrays and maps;
---shared subtables are copied, cycles refused). Metatables are not sent.
---@alias tinn.worker.Message nil|boolean|number|string|tinn.worker.Buffer|tinn.worker.Port|table

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
---(a path when it names an existing file, from the working directory or else from the calling
---script's directory; else Lua code; a one-word `*.lua` naming no file raises)
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
---@param timeoutMs? number how long to wait for room; nil waits forever
---@return true|nil ok
---@return "closed"|"timeout"|nil err "closed": the parent is gone
function worker.post(msg, timeoutMs) end

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
---@param timeoutMs? number how long to wait for room; nil waits forever
---@return true|nil ok
---@return "closed"|"timeout"|nil err "closed": the worker has ended
function Worker:post(msg, timeoutMs) end

---The next message the worker posted; messages posted before it ended can still be read.
---Errors: raises on a bad timeout.
---@async
---@param timeoutMs? number nil waits forever
---@return tinn.worker.Message msg
---@return "closed"|"timeout"|nil err "closed" once the worker ended and its queue is empty
function Worker:receive(timeoutMs) end

---Waits for the worker to end: its main chunk's return values; `nil, err` if it failed (its
---error and traceback; also a non-zero exit status); nothing after a clean quit. A worker that
---fails while no join waits fails the parent fast (exit 1), unless `onError` takes it.
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

---Two connected channel ends: what one posts, the other receives. Either end can be sent to
---another worker inside a message (it moves: the sender's handle reports "moved"), so
---workers can talk to each other directly.
---Errors: raises if `capacity` is not a whole number from 1 to 1048576.
---@param capacity? integer messages each end's queue holds before `post` waits (256)
---@return tinn.worker.Port a
---@return tinn.worker.Port b
function worker.channel(capacity) end

---Bytes owned by tinn, zero-filled (`size`) or a copy of `init`, for ffi code. Posting a buffer
---moves the memory itself to the receiver (no copy); the sender's handle then raises on use.
---Errors: raises on a size that is not a whole number >= 0 or cannot be allocated.
---@param init integer|string
---@return tinn.worker.Buffer
function worker.buffer(init) end

---One end of a channel made by `worker.channel`.
---@class tinn.worker.Port
local Port = {}

---Sends `msg` to the other end; suspends the calling task while that queue is full.
---Errors: raises if the end was moved or closed, or `msg` cannot be sent (a channel end
---being received on, and the ends of this same channel, cannot be sent).
---@async
---@param msg tinn.worker.Message
---@param timeoutMs? number nil waits forever
---@return true|nil ok
---@return "closed"|"timeout"|nil err "closed": the other end is gone
function Port:post(msg, timeoutMs) end

---The next message from the other end.
---Errors: raises if the end was moved or closed, or on a bad timeout.
---@async
---@param timeoutMs? number nil waits forever
---@return tinn.worker.Message msg
---@return "closed"|"timeout"|nil err "closed": the other end is gone and the queue is empty
function Port:receive(timeoutMs) end

---Closes this end: the other end reads what was already sent, then gets `nil, "closed"`.
function Port:close() end

---Bytes for ffi code that move between workers without copying (`worker.buffer`).
---@class tinn.worker.Buffer
---@field size integer the number of bytes (raises once moved; `#buf` is 0 then)
---@field ptr ffi.cdata* `uint8_t *` to the first byte; valid while `buf` is alive and not moved
---@field moved boolean true once posted to another thread
local Buffer = {}

---A copy of bytes `offset` .. `offset + length - 1` (default: all) as a Lua string.
---Errors: raises if the buffer was moved or the range is outside it.
---@param offset? integer from 0
---@param length? integer
---@return string
function Buffer:tostring(offset, length) end

return worker
