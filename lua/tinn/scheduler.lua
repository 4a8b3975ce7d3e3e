-- tinn/scheduler: the cooperative scheduler every script runs on (DESIGN.md §2, §3, §5).
--
-- The hot path lives here so the JIT sees it: the ready queue, the task switch, timers,
-- signals and predicates are plain Lua tables. Rust drives the outer loop and calls `tick`
-- once per turn; a task switch never crosses into Rust.
--
-- A task is a slot: its state lives in parallel arrays indexed by the slot (tCo, tFn, tId...),
-- and finished slots are reused, so a parked task costs its coroutine and a few array entries,
-- not a table of its own. The handle user code sees (`spawn`'s result, a Task) is a small table
-- { slot, id, fn } made on demand; it outlives the slot, and once the task ended its slot item
-- holds the task's outcome instead.
-- Finished coroutines go back to a pool and run the next spawned task.
--
-- Every scheduler-initiated yield yields the unique value SCHED. Before yielding, a task has
-- already arranged its own wake-up (pushed itself on the ready queue, armed a timer, joined a
-- signal's waiter list...), so the scheduler only needs to know "it yielded to me". Waking
-- values travel in `tWait`, never through resume arguments, so a scheduler yield made inside
-- a user coroutine can be forwarded up unchanged (see the coroutine wrappers at the end).
--
-- A task may be registered in two places at once (a signal list and a timer, say).
-- A registration is the slot's tag at the time: the slot plus a counter times SLOT_LIMIT, one
-- number. Every wake, cancel or finish bumps the counter, which makes the other registration
-- stale, also once the slot is reused. Stale entries are dropped lazily when met.
--
-- Called by tinn-runtime with the native bridge: `native.reactor` is lua/tinn/reactor.lua's chunk
-- (the Lua half of the reactor, run below with what it needs from here), `native.PENDING` and
-- `native.cancelOp(id)` are its Rust half; `native.published` points at the struct through which the scheduler tells Rust's signal and
-- watchdog threads which task runs (crates/tinn-runtime/src/interrupt.rs): they cannot call into
-- Lua, and a task that never yields never gives them a turn.

local native = ...

local clock = require("tinn.clock").now
local ffi = require("ffi")

ffi.cdef [[
  typedef struct { double task; const char *name; } tinn_published;
]]
local published = ffi.cast("tinn_published *", native.published)

local co_create, co_resume, co_yield, co_status = coroutine.create, coroutine.resume, coroutine.yield, coroutine.status
local traceback, getinfo = debug.traceback, debug.getinfo
local select, type, tostring, error, pcall, xpcall = select, type, tostring, error, pcall, xpcall
local unpack, setmetatable, getmetatable, floor = unpack, setmetatable, getmetatable, math.floor
local format, concat = string.format, table.concat

-- Rounds run back to back until this many task switches have happened, or this many ms have
-- passed, then Rust gets a turn to poll IO, timers and background writers (tinn.log) even if
-- tasks are still ready, so a busy task set cannot starve them.
local SWITCH_BUDGET = 16384
local TURN_BUDGET_MS = 2
-- Without timers to fire, the clock is read every this many switches only: reading it costs
-- as much as a task switch.
local CLOCK_EVERY = 32
-- When only predicates wait, they are re-evaluated this often (ms) instead of spinning a core.
local PREDICATE_POLL_MS = 1
-- Signal waiter lists and the timer heap are compacted once stale entries outnumber live ones
-- and exceed this count.
local COMPACT_MIN_STALE = 1024

local SCHED = setmetatable({}, { __tostring = function() return "tinn.scheduler.yield" end })
-- Returned by the coroutine body after the task's outcome has been stored on the task.
local FINISHED = setmetatable({}, { __tostring = function() return "tinn.scheduler.finished" end })

local TIMEOUT = { n = 2, nil, "timeout" }
local CANCELLED_RESULT = { n = 2, nil, "cancelled" }
local TRUE = { n = 1, true }
local NOTHING = { n = 0 }

local function pack(...) return { n = select("#", ...), ... } end

---------------------------------------------------------------------------------------------------
-- State
---------------------------------------------------------------------------------------------------

local current = nil            -- the running task's slot, nil between tasks (predicates, handlers)
local nextId = 0

-- Task state, indexed by slot. Dense: tCo (coroutine), tFn (body), tId (task id, nil once the
-- slot is free), tTag (the slot and its registration counter, kept across reuse), tState (below), tWait (what
-- it waits on while parked, then what its wait call returns until it runs). Sparse, set only
-- when used: the rest.
local tCo, tFn, tId, tTag, tState, tWait = {}, {}, {}, {}, {}, {}
local tArgs, tTimed, tLabel, tOrigin, tJoiners, tTrace, tFlags = {}, {}, {}, {}, {}, {}, {}
-- Handles in use, by slot; weak, so a handle nobody keeps costs nothing while the task is parked.
local handleOf = setmetatable({}, { __mode = "v" })
-- Free slots and pooled coroutines are stacks that keep their size at [0].
local freeSlots, maxSlot = { [0] = 0 }, 0
-- Tags: slot + counter * SLOT_LIMIT, the counter wrapping at 2^52 (doubles stay exact). A stale
-- registration could pass for live only after 2^28 wakes of its slot while it stayed listed.
local SLOT_LIMIT, TAG_WRAP = 2 ^ 24, 2 ^ 52
local mainSlot, mainId = nil, nil

-- tState values: READY, RUNNING, SLEEPING, a wait kind (the task is "waiting" on it), or
-- CANCELLED for a cancelled slot still on the ready queue (freed when the queue reaches it).
local READY, RUNNING, SLEEPING, CANCELLED = "ready", "running", "sleeping", "cancelled"
local SIGNAL, JOIN, IO, PREDICATE = "signal", "join", "io", "predicate"
local WAIT_KINDS = { [SIGNAL] = true, [JOIN] = true, [IO] = true, [PREDICATE] = true }

-- Finished coroutines, suspended at the top of taskBody, ready to run another task.
local pool = { [0] = 0 }
local POOL_MAX = 16384

-- The ready queue is two arrays of slots: the round being run and the round being collected.
-- yield() appends to the collecting one, so every other ready task runs once before the yielder
-- again. A queue that grew past QUEUE_KEEP entries is dropped after its round, not kept.
local runQ, nextQ, nextN = {}, {}, 0
local QUEUE_KEEP = 65536

-- Timers are grouped by the millisecond their deadline falls in: buckets[ms] lists
-- (tag, deadline) pairs in arming order, and a heap of those milliseconds orders the
-- buckets, so arming is an append and the heap moves once per millisecond, not per timer.
-- A new bucket's millisecond waits in `newMs` until the loop next fires timers or computes its
-- wait: the heap's sift loop on the arm path would keep sleep() out of the JIT's traces.
local buckets, heapMs, heapN = {}, {}, 0
local newMs, newN = {}, 0
local armedTimers, staleTimers = 0, 0

-- Predicates (waitFor): parallel arrays, compacted on every poll.
local pTag, pPred, pN = {}, {}, 0
local predWaiting = 0

local signals = {}             -- name -> waiter list { tags, head, tail, stale }

local stopping, exitCode = false, nil
local errorHandler = nil
local exitHooks = {}

---------------------------------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------------------------------

-- Argument checks are tinn.check's, worded as everywhere else.
local check = require("tinn.check")
local argError, checkMs, checkTimeout, checkFunction = check.argError, check.ms, check.timeout, check.callable

local function checkTask(fname)
  local task = current
  if not task then
    error(format("%s: not inside a task (it suspends the calling task, so it cannot run in a " ..
      "predicate, an error handler or an exit hook)", fname), 3)
  end
  return task
end

---------------------------------------------------------------------------------------------------
-- Timers
---------------------------------------------------------------------------------------------------

-- Moves the milliseconds of new buckets into the heap.
local function heapNewBuckets()
  for j = 1, newN do
    local ms = newMs[j]
    newMs[j] = nil
    heapN = heapN + 1
    local i = heapN
    while i > 1 do
      local p = floor(i / 2)
      local pm = heapMs[p]
      if pm <= ms then break end
      heapMs[i] = pm
      i = p
    end
    heapMs[i] = ms
  end
  newN = 0
end

local function heapPop()
  local n = heapN
  local ms = heapMs[n]
  heapMs[n] = nil
  n = n - 1
  heapN = n
  if n == 0 then return end
  local i = 1
  while true do
    local c = i * 2
    if c > n then break end
    local cm = heapMs[c]
    if c < n and heapMs[c + 1] < cm then c = c + 1; cm = heapMs[c] end
    if ms <= cm then break end
    heapMs[i] = cm
    i = c
  end
  heapMs[i] = ms
end

-- Keeps the live entries of a bucket from `from` on (stale ones are dropped, due ones fired by
-- `fire` when given); returns how many values remain and the earliest deadline among them.
local function sweepBucket(list, now, fire)
  local n, kept, due = list.n, 0, math.huge
  for i = 1, n, 2 do
    local tag, deadline = list[i], list[i + 1]
    local slot = tag % SLOT_LIMIT
    if tTag[slot] ~= tag then
      staleTimers = staleTimers - 1
    elseif fire and deadline <= now then
      fire(slot)
    else
      list[kept + 1], list[kept + 2] = tag, deadline
      kept = kept + 2
      if deadline < due then due = deadline end
    end
  end
  if kept == 0 then return 0 end -- the caller drops the list: no need to clear it
  for i = kept + 1, n do list[i] = nil end
  list.n, list.due = kept, due
  return kept
end

-- Drops stale entries from every bucket, and buckets left empty; amortised against the
-- staleness that triggered it.
local function compactTimers()
  local kept = {}
  for ms, list in pairs(buckets) do
    if sweepBucket(list, nil, nil) > 0 then kept[#kept + 1] = ms else buckets[ms] = nil end
  end
  table.sort(kept) -- a sorted array is a heap
  heapMs, heapN = kept, #kept
  newMs, newN = {}, 0
  staleTimers = 0
end

local function armTimer(slot, deadline)
  local ms = floor(deadline)
  local list = buckets[ms]
  if not list then
    list = { n = 0, due = deadline }
    buckets[ms] = list
    newN = newN + 1
    newMs[newN] = ms
  elseif deadline < list.due then
    list.due = deadline
  end
  local n = list.n
  list[n + 1], list[n + 2] = tTag[slot], deadline
  list.n = n + 2
  tTimed[slot] = true
  armedTimers = armedTimers + 1
end

-- A timer that no longer counts: its task was woken otherwise.
local function disarmTimer(slot)
  tTimed[slot] = nil
  armedTimers = armedTimers - 1
  staleTimers = staleTimers + 1
end

---------------------------------------------------------------------------------------------------
-- Waking and parking
---------------------------------------------------------------------------------------------------

-- Makes every registration of the slot so far stale.
local function bumpTag(slot)
  local tag = tTag[slot] + SLOT_LIMIT
  if tag >= TAG_WRAP then tag = slot end
  tTag[slot] = tag
end

local function enqueue(slot)
  tState[slot] = READY
  local n = nextN + 1
  nextN = n
  nextQ[n] = slot
end

-- Makes a parked task ready with `result` (a packed table, nil, or an IO result that is a lone
-- string or number) for its wait call to return.
local function wake(slot, result)
  bumpTag(slot)
  if tTimed[slot] then disarmTimer(slot) end
  if result ~= nil or tWait[slot] ~= nil then tWait[slot] = result end
  enqueue(slot)
end

-- Suspends the current task until something wakes it; returns the wake result.
local function park(slot, state, target, timeoutMs)
  tState[slot] = state
  if target ~= nil then tWait[slot] = target end
  if timeoutMs then armTimer(slot, clock() + timeoutMs) end
  co_yield(SCHED)
  local result = tWait[slot]
  if result then tWait[slot] = nil end
  return result
end

-- IO operations: the reactor's Lua half parks tasks on operation ids (lua/tinn/reactor.lua).
local reactor, completeOps, releaseOp = native.reactor(native, {
  checkTask = checkTask, park = park, wake = wake, IO = IO,
})

local function compactSignal(list)
  local tags, newTags, n = list.tags, {}, 0
  for i = list.head, list.tail do
    local tag = tags[i]
    if tTag[tag % SLOT_LIMIT] == tag then n = n + 1; newTags[n] = tag end
  end
  list.tags, list.head, list.tail, list.stale = newTags, 1, n, 0
end

-- Undoes the registration of a parked task with whatever it waits on (not its timer).
local function releaseWait(slot)
  local kind, target = tState[slot], tWait[slot]
  if kind == SIGNAL then
    local list = signals[target]
    if list then
      list.stale = list.stale + 1
      local waiting = list.tail - list.head + 1
      if list.stale >= waiting then
        signals[target] = nil
      elseif list.stale > COMPACT_MIN_STALE and list.stale * 2 > waiting then
        compactSignal(list)
      end
    end
  elseif kind == PREDICATE then
    predWaiting = predWaiting - 1
  elseif kind == IO then
    releaseOp(target)
  end
end

local function unpackResult(r)
  if r then return unpack(r, 1, r.n) end
end

---------------------------------------------------------------------------------------------------
-- Tasks
---------------------------------------------------------------------------------------------------

local Task = {}
Task.__index = Task

local function describeFunction(fn)
  if type(fn) ~= "function" then return "callable" end
  local info = getinfo(fn, "S")
  if info.what == "C" then return "C function" end
  return format("%s:%d", info.short_src, info.linedefined)
end

local function taskName(slot)
  local name = tLabel[slot]
  if not name then
    name = describeFunction(tOrigin[slot] or tFn[slot])
    tLabel[slot] = name
  end
  return name
end

-- Array items only: once the task ended, [1] holds its outcome (finishing sets no new key, even
-- on a handle that is garbage not yet collected); [3] is the function, then its name. [4] is
-- unused: with it a handle takes 104 bytes, another allocator size class than a coroutine's
-- 96, so the handles most spawns drop at once leave no holes between parked coroutines.
local function newHandle(slot, fn)
  local handle = setmetatable({ slot, tId[slot], fn, false }, Task)
  handleOf[slot] = handle
  return handle
end

-- The handle of a live task: the one in use, or a new one.
local function handleFor(slot)
  local handle = handleOf[slot]
  if not handle then
    handle = newHandle(slot, tOrigin[slot] or tFn[slot])
  end
  return handle
end

-- The slot of a handle's task while it lives, else nil (an outcome is no key of tId).
local function liveSlot(handle)
  local slot = handle[1]
  if tId[slot] == handle[2] then return slot end
end

local function handleName(handle)
  local slot = liveSlot(handle)
  if slot then return taskName(slot) end
  local name = handle[3]
  if type(name) ~= "string" then
    name = describeFunction(name)
    handle[3] = name
  end
  return name
end

-- With the watchdog on, every task's name is published when it runs; otherwise only names
-- already known are (a debug.getinfo per spawned task would halve spawn throughput).
local publishAllNames = false
local function publishNames() publishAllNames = true end

-- debug.traceback without the runtime's own frames (embedded chunks are named `tinn/<module>`
-- with no `.lua`) and the xpcall that runs each task: users should see only their code.
local function userTraceback(message, level)
  local lines, n = {}, 0
  for line in traceback(message or "", (level or 1) + 1):gmatch("[^\n]+") do
    if not (line:find("^%s*tinn/[%w_/]+:%d+:") or line:find("in function 'xpcall'", 1, true)) then
      n = n + 1
      lines[n] = line
    end
  end
  return concat(lines, "\n")
end

-- tFlags[slot] marks a task an interrupt stops: HOOK_RAISED once the hook raised in it,
-- INTERRUPTED when that also ends the program.
local HOOK_RAISED, INTERRUPTED = 1, 2

-- Called by xpcall at the point of the error, so the traceback shows where it happened.
local function captureError(err)
  local slot = current
  if slot then
    local trace = userTraceback(nil, 2)
    -- an interrupt is raised by the scheduler's hook, not by a call in the user's code
    if tFlags[slot] then trace = trace:gsub("\n%s*%[C%]: in function 'error'", "", 1) end
    tTrace[slot] = trace
  end
  return err
end

local function pushStack(stack, item)
  local n = stack[0] + 1
  stack[n], stack[0] = item, n
end

local function popStack(stack)
  local n = stack[0]
  local item = stack[n]
  stack[n], stack[0] = nil, n - 1
  return item
end

-- Clears a sparse field only where set: assigning nil to an absent key would still insert it.
local function clearSparse(list, slot)
  if list[slot] ~= nil then list[slot] = nil end
end

local function freeSlot(slot)
  tCo[slot], tFn[slot], tState[slot] = nil, nil, nil
  clearSparse(tArgs, slot)
  clearSparse(tWait, slot)
  clearSparse(tLabel, slot)
  clearSparse(tOrigin, slot)
  clearSparse(tTrace, slot)
  clearSparse(tFlags, slot)
  clearSparse(handleOf, slot)
  pushStack(freeSlots, slot)
end

-- Ends a task: its handle (if any) keeps the outcome, joiners wake, and the slot is
-- freed, or marked CANCELLED for the ready queue to free when a queued entry may remain.
local function finishTask(slot, outcome)
  local handle = handleOf[slot]
  if handle then
    handle[1] = outcome
    local label, trace = tLabel[slot], tTrace[slot]
    if label then handle[3] = label end
    if trace then handle.trace = trace end -- for onError handlers (tinn.test reads it)
  end
  local joiners = tJoiners[slot]
  if joiners then tJoiners[slot] = nil end
  if tTimed[slot] then disarmTimer(slot) end
  bumpTag(slot)
  tId[slot] = nil
  if outcome == CANCELLED_RESULT and slot ~= current then
    tState[slot] = CANCELLED
  else
    freeSlot(slot)
  end
  if joiners then
    for i = 1, #joiners do
      local tag = joiners[i]
      local waiter = tag % SLOT_LIMIT
      if tTag[waiter] == tag then wake(waiter, outcome) end
    end
  end
end

local function writeStderr(s)
  io.stderr:write(s)
  io.stderr:flush()
end

local function requestExit(code)
  if not stopping then
    stopping = true
    exitCode = exitCode or code
  end
end

-- How an uncaught error reads: its message, then where it happened (the REPL prints the same).
local function uncaughtText(err, trace)
  return tostring(err) .. "\n" .. (trace or "stack traceback: (none)")
end

-- An error no task handled: onError's handler, or print and fail fast (DESIGN.md §3).
local keptError = nil -- nil: print uncaught errors; false / text: a worker keeps the first
local function reportUncaught(handle, err, trace)
  if errorHandler then
    local ok, handlerErr = pcall(errorHandler, err, handle)
    if ok then return end
    writeStderr(format("tinn: error in onError handler: %s\n", tostring(handlerErr)))
  elseif keptError ~= nil then
    -- a worker: the first error goes to the parent's join instead of stderr
    if keptError == false then
      keptError = (handle[2] == 1 and "" or format("error in task %d (%s): ", handle[2], handleName(handle)))
        .. uncaughtText(err, trace)
    end
  else
    writeStderr(format("tinn: error in task %d (%s): %s\n", handle[2], handleName(handle), uncaughtText(err, trace)))
  end
  exitCode = 1
  requestExit(1)
end

-- A worker failed and nobody was joining it (tinn.worker reports it): fail fast as for a task,
-- unless onError takes it (with no task: `fn(err, nil)`).
local function workerFailed(label, err)
  if errorHandler then
    local ok, handlerErr = pcall(errorHandler, err, nil)
    if ok then return end
    writeStderr(format("tinn: error in onError handler: %s\n", tostring(handlerErr)))
  elseif keptError == false then
    keptError = format("error in %s: %s", label, tostring(err))
  elseif keptError == nil then
    writeStderr(format("tinn: error in %s: %s\n", label, tostring(err)))
  end
  exitCode = 1
  requestExit(1)
end

-- Workers keep their first uncaught error (text with traceback) for the parent: keepErrors()
-- switches it on, keptError() reads it (nil when there was none).
local function keepErrors() keptError = keptError or false end
local function keptErrorText() return keptError or nil end

-- A joiner still waiting when the task fails receives the error, so it is not uncaught.
local function hasLiveJoiner(slot)
  local joiners = tJoiners[slot]
  if not joiners then return false end
  for i = 1, #joiners do
    local tag = joiners[i]
    if tTag[tag % SLOT_LIMIT] == tag then return true end
  end
  return false
end

-- `id` is the task's id when it started: a task cancelled meanwhile has left its slot.
local function storeOutcome(slot, id, ok, ...)
  current = nil -- the task's code is over: error handlers run outside it
  if tId[slot] ~= id then return end -- cancelled itself, then unwound: nothing to keep
  if ok then
    finishTask(slot, select("#", ...) == 0 and NOTHING or pack(...))
  else
    local err = ...
    local handled = hasLiveJoiner(slot)
    local trace, interrupted = tTrace[slot], tFlags[slot] == INTERRUPTED
    local handle = handleFor(slot)
    finishTask(slot, { n = 2, nil, err, failed = true })
    if interrupted then
      -- the program is ending on a signal (exit status set): say where the task was
      writeStderr(format("tinn: error in task %d (%s): %s\n", id, handleName(handle), uncaughtText(err, trace)))
    elseif not handled then
      reportUncaught(handle, err, trace)
    end
  end
end

-- A task's coroutine: runs the task in `slot`, then yields FINISHED and, when the scheduler
-- pooled it, is resumed with the slot of the next task to run.
local function taskBody(slot)
  while true do
    local args = tArgs[slot]
    if args then
      tArgs[slot] = nil
      storeOutcome(slot, tId[slot], xpcall(tFn[slot], captureError, unpack(args, 1, args.n)))
    else
      storeOutcome(slot, tId[slot], xpcall(tFn[slot], captureError))
    end
    slot = co_yield(FINISHED)
  end
end

-- Takes a slot and queues the new task; returns the slot.
local function newTask(fn, nargs, ...)
  local slot
  if freeSlots[0] > 0 then
    slot = popStack(freeSlots)
  else
    slot = maxSlot + 1
    if slot >= SLOT_LIMIT then error(format("too many tasks: %d are alive", slot - 1), 3) end
    maxSlot = slot
    tTag[slot] = slot
  end
  -- packed before coroutine.create: a trace resumed after that call (it ends the trace) would
  -- abort on the vararg (NYI), leaving spawn with arguments to the interpreter
  if nargs > 0 then tArgs[slot] = pack(...) end
  local co = pool[0] > 0 and popStack(pool) or co_create(taskBody)
  nextId = nextId + 1
  tCo[slot], tFn[slot], tId[slot] = co, fn, nextId
  enqueue(slot)
  return slot
end

-- A task whose body is a wrapper (delay, periodic, when...) but whose name comes from `fn`.
local function spawnFor(fn, body, a, b)
  local slot = newTask(body, 2, a, b)
  tOrigin[slot] = fn
  return slot, newHandle(slot, fn)
end

local function spawn(fn, ...)
  checkFunction(fn, 1, "spawn")
  return newHandle(newTask(fn, select("#", ...), ...), fn)
end

local function cancelTask(slot)
  local state = tState[slot]
  if state == SLEEPING or WAIT_KINDS[state] then
    releaseWait(slot)
    wake(slot, nil) -- invalidates every registration; the queued entry frees the slot
  end
  local self = slot == current
  finishTask(slot, CANCELLED_RESULT)
  if self then
    current = nil
    co_yield(SCHED) -- never resumed
  end
  return true
end

-- `t.join()` instead of `t:join()` passes no task: say so rather than index nil.
local function checkSelf(self, method)
  if getmetatable(self) ~= Task then
    error(format("task:%s: call it with ':' on a task (t:%s()), got %s", method, method,
      self == nil and "no task" or type(self)), 3)
  end
end

-- How a task ended, from its outcome: failures are marked, cancellation is one table.
local function statusOf(outcome)
  if outcome == CANCELLED_RESULT then return CANCELLED end
  return outcome.failed and "failed" or "done"
end

local function publicState(state)
  if WAIT_KINDS[state] then return "waiting" end
  return state
end

function Task:id() checkSelf(self, "id") return self[2] end

function Task:name(newName)
  checkSelf(self, "name")
  if newName ~= nil then
    check.text(newName, 1, "task:name")
    local slot = liveSlot(self)
    if slot then
      tLabel[slot] = newName
      if slot == current then published.name = newName end -- the old name may be collected
    else
      self[3] = newName
    end
  end
  return handleName(self)
end

function Task:status()
  checkSelf(self, "status")
  local slot = liveSlot(self)
  if slot then return publicState(tState[slot]) end
  return statusOf(self[1])
end

function Task:cancel()
  checkSelf(self, "cancel")
  local slot = liveSlot(self)
  if not slot then return false end
  return cancelTask(slot)
end

function Task:join(timeoutMs)
  checkSelf(self, "join")
  checkTimeout(timeoutMs, 1, "task:join")
  local slot = liveSlot(self)
  if not slot then return unpackResult(self[1]) end
  local waiter = checkTask("task:join")
  if waiter == slot then error("task:join: a task cannot join itself", 2) end
  local joiners = tJoiners[slot]
  if not joiners then joiners = {}; tJoiners[slot] = joiners end
  joiners[#joiners + 1] = tTag[waiter]
  return unpackResult(park(waiter, JOIN, self, timeoutMs))
end

function Task:__tostring()
  return format("Task(%d, %s, %s)", self[2], handleName(self), self:status())
end

---------------------------------------------------------------------------------------------------
-- The words (DESIGN.md §2)
---------------------------------------------------------------------------------------------------

local function yield(...)
  local slot = checkTask("yield")
  enqueue(slot)
  co_yield(SCHED)
  return ...
end

local function sleep(ms)
  local slot = checkTask("sleep")
  checkMs(ms, 1, "sleep", "duration")
  tState[slot] = SLEEPING
  armTimer(slot, clock() + ms)
  co_yield(SCHED)
end

local function sleepUntil(slot, deadline)
  tState[slot] = SLEEPING
  armTimer(slot, deadline)
  co_yield(SCHED)
end

local function delayBody(fn, ms)
  sleep(ms)
  return fn()
end

-- TINN's default for delay and periodic when no time is given.
local DEFAULT_INTERVAL_MS = 1000

local function delay(fn, ms)
  checkFunction(fn, 1, "delay")
  if ms == nil then ms = DEFAULT_INTERVAL_MS end
  checkMs(ms, 2, "delay", "delay")
  local _, handle = spawnFor(fn, delayBody, fn, ms)
  return handle
end

-- Ticks land on the grid start + k*ms; ticks missed while fn overran are skipped, not queued.
local function periodicBody(fn, ms)
  local slot = current
  local nextAt = clock() + ms
  while true do
    sleepUntil(slot, nextAt)
    fn()
    nextAt = nextAt + ms
    local now = clock()
    if nextAt <= now then
      nextAt = nextAt + (floor((now - nextAt) / ms) + 1) * ms
    end
  end
end

local function periodic(fn, ms)
  checkFunction(fn, 1, "periodic")
  if ms == nil then ms = DEFAULT_INTERVAL_MS end
  checkMs(ms, 2, "periodic", "period")
  if ms == 0 then argError(2, "periodic", "period must be greater than 0") end
  local _, handle = spawnFor(fn, periodicBody, fn, ms)
  return handle
end

local PREDICATE_FAILED = {}

local function waitFor(pred, timeoutMs)
  local slot = checkTask("waitFor")
  checkFunction(pred, 1, "waitFor")
  checkTimeout(timeoutMs, 2, "waitFor")
  -- evaluated outside the task, as every later evaluation is, so a predicate cannot suspend
  current = nil
  local ok, holds = pcall(pred)
  current = slot
  if not ok then error(holds, 0) end
  if holds then return true end
  pN = pN + 1
  pTag[pN], pPred[pN] = tTag[slot], pred
  predWaiting = predWaiting + 1
  local r = park(slot, PREDICATE, pred, timeoutMs)
  if r and r[1] == PREDICATE_FAILED then error(r[2], 0) end
  return unpackResult(r)
end

local function pollPredicates()
  local n, kept = pN, 0
  for i = 1, n do
    local tag, pred = pTag[i], pPred[i]
    pTag[i], pPred[i] = nil, nil
    local slot = tag % SLOT_LIMIT
    if tTag[slot] == tag then
      local ok, value = pcall(pred)
      if not ok then
        predWaiting = predWaiting - 1
        -- raised inside the waiting task, so only that task fails, with its own traceback
        wake(slot, { n = 2, PREDICATE_FAILED, value })
      elseif value then
        predWaiting = predWaiting - 1
        wake(slot, TRUE)
      else
        kept = kept + 1
        pTag[kept], pPred[kept] = tag, pred
      end
    end
  end
  -- predicates registered while polling (none can be: predicates run outside tasks) stay valid
  for i = n + 1, pN do
    kept = kept + 1
    pTag[kept], pPred[kept] = pTag[i], pPred[i]
    pTag[i], pPred[i] = nil, nil
  end
  pN = kept
end

local function whenBody(pred, fn)
  waitFor(pred)
  return fn()
end

-- when/whenever: a task running `body(pred, fn)`, named after fn. Called as a tail call, so an
-- argument error points at the script's line.
local function spawnWatcher(body, pred, fn, fname)
  checkFunction(pred, 1, fname)
  checkFunction(fn, 2, fname)
  local _, handle = spawnFor(fn, body, pred, fn)
  return handle
end

local function when(pred, fn)
  return spawnWatcher(whenBody, pred, fn, "when")
end

-- Edge-triggered: fn runs when pred turns truthy, then not again until pred has been falsy.
local function wheneverBody(pred, fn)
  local function falsy() return not pred() end
  while true do
    waitFor(pred)
    fn()
    waitFor(falsy)
  end
end

local function whenever(pred, fn)
  return spawnWatcher(wheneverBody, pred, fn, "whenever")
end

local function checkSignalName(name, fname)
  if name == nil then argError(1, fname, "signal name expected, got nil", 1) end
end

local function addSignalWaiter(name, slot)
  local list = signals[name]
  if not list then
    list = { tags = {}, head = 1, tail = 0, stale = 0 }
    signals[name] = list
  end
  local tail = list.tail + 1
  list.tail = tail
  list.tags[tail] = tTag[slot]
end

local function waitSignal(name, timeoutMs)
  local slot = checkTask("waitSignal")
  checkSignalName(name, "waitSignal")
  checkTimeout(timeoutMs, 2, "waitSignal")
  addSignalWaiter(name, slot)
  return unpackResult(park(slot, SIGNAL, name, timeoutMs))
end

local function signalOne(name, ...)
  checkSignalName(name, "signalOne")
  local list = signals[name]
  if not list then return 0 end
  local tags = list.tags
  for i = list.head, list.tail do
    local tag = tags[i]
    tags[i] = nil
    local slot = tag % SLOT_LIMIT
    if tTag[slot] == tag then
      list.head = i + 1
      if i == list.tail then signals[name] = nil end
      wake(slot, select("#", ...) == 0 and NOTHING or pack(...))
      return 1
    end
  end
  signals[name] = nil
  return 0
end

local function signalAll(name, ...)
  checkSignalName(name, "signalAll")
  local list = signals[name]
  if not list then return 0 end
  signals[name] = nil
  local values = select("#", ...) == 0 and NOTHING or pack(...)
  local tags, woken = list.tags, 0
  for i = list.head, list.tail do
    local tag = tags[i]
    local slot = tag % SLOT_LIMIT
    if tTag[slot] == tag then
      woken = woken + 1
      wake(slot, values)
    end
  end
  return woken
end

-- The task first runs once the signal woke it, with the values it was sent in `tWait`.
local function onSignalBody(fn)
  local slot = current
  local values = tWait[slot]
  if values then tWait[slot] = nil end
  return fn(unpackResult(values))
end

-- The handler's task waits on the signal from the call on, before it ever runs, so a
-- `signalOne(name)` right after onSignal reaches it (TINN's Parallel Conversations demo).
local function onSignal(fn, name)
  checkFunction(fn, 1, "onSignal")
  checkSignalName(name, "onSignal")
  local slot, handle = spawnFor(fn, onSignalBody, fn, nil)
  nextQ[nextN] = nil -- spawnFor queued it last; it waits instead
  nextN = nextN - 1
  tState[slot], tWait[slot] = SIGNAL, name
  addSignalWaiter(name, slot)
  return handle
end

local function run(fn, ...)
  checkFunction(fn, 1, "run")
  return newHandle(newTask(fn, select("#", ...), ...), fn)
end

local function checkExitCode(code, fname)
  if code ~= nil and (type(code) ~= "number" or code ~= floor(code) or code < 0 or code > 255) then
    argError(1, fname, "exit code must be an integer 0-255, got " .. tostring(code), 1)
  end
end

local function stop(code)
  checkExitCode(code, "stop")
  exitCode = code or exitCode or 0
  stopping = true
end

-- os.exit ends the program as stop() does (exit hooks run, logs are flushed) instead of leaving
-- the process at once; the calling task goes no further. `true`/`false` mean 0/1, as in Lua.
local function exit(code)
  if code == true or code == nil then
    code = 0
  elseif code == false then
    code = 1
  end
  checkExitCode(code, "os.exit")
  exitCode = code
  stopping = true
  local slot = current
  if slot then
    finishTask(slot, CANCELLED_RESULT)
    current = nil
    co_yield(SCHED) -- never resumed
  end
end

-- Returns the handler it replaces, so a caller (the test runner) can put it back.
local function onError(fn)
  if fn ~= nil then checkFunction(fn, 1, "onError") end
  local previous = errorHandler
  errorHandler = fn
  return previous
end

local function atExit(fn)
  checkFunction(fn, 1, "tinn.atExit")
  exitHooks[#exitHooks + 1] = fn
end

-- The slots of live tasks, oldest first.
local function liveSlots()
  local list = {}
  for slot = 1, maxSlot do
    if tId[slot] then list[#list + 1] = slot end
  end
  table.sort(list, function(a, b) return tId[a] < tId[b] end)
  return list
end

-- What a task waits on, as tinn.tasks() shows it: "sleep", a wait kind, or nil.
local function waitKind(state)
  if state == SLEEPING then return "sleep" end
  if WAIT_KINDS[state] then return state end
end

local function tasks()
  local list = {}
  for i, slot in ipairs(liveSlots()) do
    local state = tState[slot]
    local target = WAIT_KINDS[state] and tWait[slot] or nil
    if state == JOIN then target = target[2] end
    list[i] = {
      id = tId[slot], name = taskName(slot), status = publicState(state),
      waitingOn = waitKind(state), target = target, task = handleFor(slot),
    }
  end
  return list
end

local function currentTask()
  if current then return handleFor(current) end
end

---------------------------------------------------------------------------------------------------
-- The loop, as seen from Rust
---------------------------------------------------------------------------------------------------

local function fireTimer(slot)
  tTimed[slot] = nil
  armedTimers = armedTimers - 1
  if tState[slot] == SLEEPING then
    wake(slot, nil)
  else
    releaseWait(slot)
    wake(slot, TIMEOUT)
  end
end

-- Fires the buckets whose millisecond has begun; the last may keep timers due later in it.
local function fireTimers(now)
  if newN > 0 then heapNewBuckets() end
  while heapN > 0 do
    local ms = heapMs[1]
    if ms > now then break end
    local list = buckets[ms]
    if sweepBucket(list, now, fireTimer) > 0 then break end
    buckets[ms] = nil
    heapPop()
  end
  if staleTimers > COMPACT_MIN_STALE and staleTimers > armedTimers then compactTimers() end
end

-- Runs rounds until nothing is ready or the budget is spent.
local function runReady()
  local switches = 0
  local started = clock()
  local now, readClockAt = started, CLOCK_EVERY
  repeat
    local q, n = nextQ, nextN
    nextQ, nextN = runQ, 0
    runQ = n > QUEUE_KEEP and {} or q
    for i = 1, n do
      local slot = q[i]
      q[i] = nil
      local state = tState[slot]
      if state == READY then
        current = slot
        tState[slot] = RUNNING
        local co = tCo[slot]
        local name = tLabel[slot]
        if not name and publishAllNames then name = taskName(slot) end
        published.task = tId[slot]
        published.name = name
        local ok, marker = co_resume(co, slot)
        published.task = 0
        current = nil
        if marker == FINISHED then
          if pool[0] < POOL_MAX then pushStack(pool, co) end
        elseif marker ~= SCHED then
          if not ok then
            -- the body itself failed (e.g. the error handler ran out of memory)
            local handle = handleFor(slot)
            finishTask(slot, { n = 2, nil, marker, failed = true })
            reportUncaught(handle, marker, nil)
          elseif co_status(co) ~= "dead" then
            enqueue(slot) -- a bare coroutine.yield() at task level acts as yield()
          end
        end
        if stopping then
          for j = i + 1, n do q[j] = nil end
          return
        end
      elseif state == CANCELLED then
        freeSlot(slot)
      end
    end
    switches = switches + n
    local timers = heapN + newN > 0
    if timers or switches >= readClockAt then
      now = clock()
      readClockAt = switches + CLOCK_EVERY
      if timers then fireTimers(now) end
    end
    if pN > 0 then pollPredicates() end
  until nextN == 0 or switches >= SWITCH_BUDGET or stopping or now - started >= TURN_BUDGET_MS
end

-- How long Rust may wait for IO before calling tick again: 0 = don't wait, -1 = nothing in Lua
-- will ever become ready by itself (only IO or an OS signal can wake a task).
local function waitHint()
  if nextN > 0 then return 0 end
  local wait = -1
  if armedTimers == 0 then
    -- only stale timers are left: forget them rather than wake up for nothing
    if heapN + newN > 0 then buckets, heapMs, heapN, newMs, newN, staleTimers = {}, {}, 0, {}, 0, 0 end
  else
    if newN > 0 then heapNewBuckets() end
    -- the earliest bucket's earliest deadline; if its timers went stale, an early wake-up
    -- fires nothing and drops them
    wait = buckets[heapMs[1]].due - clock()
    if wait < 0 then wait = 0 end
  end
  if predWaiting > 0 and (wait < 0 or wait > PREDICATE_POLL_MS) then wait = PREDICATE_POLL_MS end
  return wait
end

local EXIT = native.EXIT -- tick's "the program ends" (event_loop.rs defines it)

-- Ends the program: defined below with the helpers only it uses.
local shutdown
do
  -- Exit status when the main task waits on something nothing can deliver (Node's code for a
  -- top-level await that never settles).
  local STARVED_EXIT = 13

  local OS_SIGNALS = { SIGINT = true, SIGTERM = true, SIGHUP = true }

  -- What a parked task waits for, for the message below; follows joins to the task at the end.
  local function describeWait(slot, depth)
    local kind, target = tState[slot], tWait[slot]
    if kind == SIGNAL then
      if OS_SIGNALS[target] then
        return format("signal '%s', but waiting for an OS signal alone does not keep a program alive " ..
          "(keep a timer, server or other IO running)", target)
      end
      return format("signal '%s', which nothing can send", tostring(target))
    elseif kind == JOIN then
      local joined = liveSlot(target)
      if joined and depth < 8 and (tState[joined] == SLEEPING or WAIT_KINDS[tState[joined]]) then
        return format("task %d (%s) to finish, which waits for %s", target[2], taskName(joined),
          describeWait(joined, depth + 1))
      end
      return format("task %d to finish", target[2])
    elseif kind == IO then
      return "an operation nothing will complete"
    end
    return tostring(waitKind(kind) or kind)
  end

  -- Nothing is ready, sleeping, polling or doing IO. If the main task is still waiting, the
  -- program did not finish: say on what, and exit 13. Other tasks left waiting stay quiet.
  local function reportStarvedMain()
    if mainSlot and tId[mainSlot] == mainId and WAIT_KINDS[tState[mainSlot]] and exitCode == nil then
      local message = format("main task waits for %s", describeWait(mainSlot, 0))
      if keptError == false then
        keptError = message -- a worker: its parent's join reports it
      elseif keptError == nil then
        writeStderr(format("tinn: %s\n", message))
      end
      exitCode = STARVED_EXIT
    end
  end

  -- Cancels every task, runs exit hooks, and returns the exit status. Rust passes no code when
  -- the program ends because nothing can run any more.
  shutdown = function(code)
    if code == nil and not stopping then reportStarvedMain() end
    -- the signal thread's fallback must not take a slow exit hook for a stuck task
    published.task = 0
    requestExit(code or 0)
    for _, slot in ipairs(liveSlots()) do
      if tId[slot] then cancelTask(slot) end
    end
    local hooks = exitHooks
    exitHooks = {}
    for i = #hooks, 1, -1 do
      local ok, err = pcall(hooks[i])
      if not ok then
        writeStderr(format("tinn: error in exit hook: %s\n", tostring(err)))
        exitCode = exitCode == 0 and 1 or exitCode
      end
    end
    return exitCode or 0
  end
end

-- One turn of the event loop: hand back IO completions, run ready tasks, fire timers.
-- Returns EXIT and the status when the program must end, else the wait hint in ms.
local function tick(completions)
  if completions then completeOps(completions) end
  if not stopping then
    if heapN + newN > 0 then fireTimers(clock()) end
    if pN > 0 then pollPredicates() end
    runReady()
  end
  if stopping then return EXIT, shutdown(exitCode) end
  return waitHint()
end

-- Run, in a task, before an OS signal nobody waits for ends the program: what must finish
-- first (HTTP servers drain). The REPL's Ctrl-C never gets here: its watcher waits for SIGINT.
-- One table, not locals: this chunk is near LuaJIT's limit of 200 locals.
local signalExit = { hooks = {}, started = false } -- hooks: fn -> true

function signalExit.add(fn)
  checkFunction(fn, 1, "beforeSignalExit")
  signalExit.hooks[fn] = true
end

function signalExit.cancel(fn)
  signalExit.hooks[fn] = nil
end

function signalExit.run(name, status)
  local hooks = {}
  for fn in pairs(signalExit.hooks) do hooks[#hooks + 1] = fn end
  signalExit.hooks = {}
  for _, fn in ipairs(hooks) do
    local ok, err = pcall(fn, name)
    if not ok then writeStderr(format("tinn: error in a %s exit hook: %s\n", name, tostring(err))) end
  end
  stop(status)
end

-- A signal arrived; true when some task was waiting for it, or when an OS signal's exit
-- (`exitStatus` given) waits for the beforeSignalExit hooks. A second one while they run is
-- not handled: the program ends at once.
local function deliverSignal(name, exitStatus)
  if signalAll(name) > 0 then return true end
  if exitStatus == nil or signalExit.started or next(signalExit.hooks) == nil then return false end
  signalExit.started = true
  spawn(signalExit.run, name, exitStatus):name("tinn: before exit on " .. name)
  return true
end

local function hasWaiters(name)
  local list = signals[name]
  if not list then return false end
  for i = list.head, list.tail do
    local tag = list.tags[i]
    if tTag[tag % SLOT_LIMIT] == tag then return true end
  end
  return false
end

-- The REPL sets this: Ctrl-C interrupts the running task and the session goes on.
local interruptKeepsRunning = false
local function setInterruptKeepsRunning(on) interruptKeepsRunning = on and true or false end

-- Called from the Rust hook on the running task's own stack (interrupt.rs): `kind` is
-- "interrupt" (an OS signal `name` whose exit status is `status` must stop a task that does
-- not yield) or "watchdog" (the task ran too long: print where it is).
local function onHook(kind, name, status)
  local slot = current
  if not slot then return end
  if kind == "watchdog" then
    writeStderr(userTraceback(format("tinn: watchdog: task %d (%s) is at:", tId[slot],
      taskName(slot)), 2) .. "\n")
    return
  end
  local flag = HOOK_RAISED
  if not interruptKeepsRunning then
    -- a handler (or a beforeSignalExit hook) runs once the task yields; if it never does, the
    -- signal thread ends the program
    if hasWaiters(name) or next(signalExit.hooks) ~= nil then return end
    flag = INTERRUPTED
    requestExit(status)
  end
  tFlags[slot] = flag
  error(name == "SIGINT" and "interrupted" or "interrupted by " .. name, 0)
end

local function spawnMain(fn, ...)
  local slot = newTask(fn, select("#", ...), ...)
  tLabel[slot] = "main"
  mainSlot, mainId = slot, tId[slot]
  return newHandle(slot, fn)
end

---------------------------------------------------------------------------------------------------
-- User coroutines: a scheduler yield inside one passes through to the scheduler
---------------------------------------------------------------------------------------------------

do
  local function forward(co, ok, ...)
    if ok and (...) == SCHED then
      return forward(co, co_resume(co, co_yield(SCHED)))
    end
    return ok, ...
  end

  local function wrapResult(ok, ...)
    if not ok then error((...), 0) end
    return ...
  end

  coroutine.resume = function(co, ...)
    return forward(co, co_resume(co, ...))
  end

  coroutine.wrap = function(fn)
    local co = co_create(fn)
    return function(...)
      return wrapResult(forward(co, co_resume(co, ...)))
    end
  end
end

---------------------------------------------------------------------------------------------------
-- Exports
---------------------------------------------------------------------------------------------------

do
  local words = {
    spawn = spawn, coop = spawn, yield = yield, sleep = sleep, delay = delay, periodic = periodic,
    waitFor = waitFor, when = when, whenever = whenever,
    waitSignal = waitSignal, onSignal = onSignal, signalOne = signalOne, signalAll = signalAll,
    run = run, stop = stop, onError = onError,
  }

  for name, fn in pairs(words) do _G[name] = fn end
  os.exit = exit

  -- require("Application") carries the words; calling it (TINN's `Application(true)`) returns it.
  -- TINN scripts call them as methods (`app:spawn(f, ...)`, `app:run(main)`), so each word here
  -- drops the application itself when it comes first; the globals stay the bare words.
  local Application = {}
  local methods = {}
  for name, fn in pairs(words) do
    methods[name] = function(first, ...)
      if first == Application then return fn(...) end
      return fn(first, ...)
    end
  end
  setmetatable(Application, {
    __index = methods,
    __call = function(self) return self end,
    __newindex = function(_, key) error("Application: cannot assign '" .. tostring(key) .. "'", 2) end,
  })
  package.loaded.Application = Application
end

-- `tinn.reactor` as IO modules require it: the reactor's words, and the scheduler's error
-- reporting and exit hooks those modules share.
reactor.traceback = userTraceback
reactor.workerFailed = workerFailed
reactor.uncaughtText = uncaughtText
reactor.beforeSignalExit, reactor.cancelBeforeSignalExit = signalExit.add, signalExit.cancel
reactor.setInterruptKeepsRunning = setInterruptKeepsRunning -- internal, for the REPL
package.loaded["tinn.reactor"] = reactor

return {
  tick = tick,
  shutdown = shutdown,
  deliverSignal = deliverSignal,
  onHook = onHook,
  publishNames = publishNames,
  spawnMain = spawnMain,
  keepErrors = keepErrors,
  keptError = keptErrorText,
  -- how a task ended, for Rust (a worker's result): status and packed results, nil while it runs
  taskOutcome = function(handle)
    local outcome = handle[1]
    if type(outcome) == "table" then return statusOf(outcome), outcome end
  end,
  -- for the `tinn` table
  tasks = tasks,
  atExit = atExit,
  currentTask = currentTask,
  now = clock,
}
