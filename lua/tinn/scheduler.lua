-- tinn/scheduler: the cooperative scheduler every script runs on (DESIGN.md §2, §3, §5).
--
-- The hot path lives here so the JIT sees it: the ready queue, the task switch, timers,
-- signals and predicates are plain Lua tables. Rust drives the outer loop and calls `tick`
-- once per turn; a task switch never crosses into Rust.
--
-- Every scheduler-initiated yield yields the unique value SCHED. Before yielding, a task has
-- already arranged its own wake-up (pushed itself on the ready queue, armed a timer, joined a
-- signal's waiter list...), so the scheduler only needs to know "it yielded to me". Waking
-- values travel in `task.wake`, never through resume arguments, so a scheduler yield made inside
-- a user coroutine can be forwarded up unchanged (see the coroutine wrappers at the end).
--
-- A task may be registered in two places at once (a signal list and the timer heap, say).
-- Registrations carry the task's `seq` at the time; every wake or cancel bumps `seq`, which makes
-- the other registration stale. Stale entries are dropped lazily when met.
--
-- Called by tinn-runtime with the native bridge: `native.cancelOp(id)` releases an IO operation;
-- `native.published` points at the struct through which the scheduler tells Rust's signal and
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
local CANCELLED = { n = 2, nil, "cancelled" }
local TRUE = { n = 1, true }
local NOTHING = { n = 0 }

local function pack(...) return { n = select("#", ...), ... } end

---------------------------------------------------------------------------------------------------
-- State
---------------------------------------------------------------------------------------------------

local current = nil            -- the running task, nil between tasks (predicates, handlers)
local nextId = 0
local live, liveCount = {}, 0  -- id -> task, for tinn.tasks() and shutdown

-- The ready queue is two arrays: the round being run and the round being collected. yield()
-- appends to the collecting one, so every other ready task runs once before the yielder again.
local runQ, nextQ, nextN = {}, {}, 0

-- Timer heap: parallel arrays ordered by (deadline, serial), so equal deadlines fire FIFO.
local hTime, hSerial, hTask, hSeq, hN = {}, {}, {}, {}, 0
local timerSerial = 0
local armedTimers, staleTimers = 0, 0

-- Predicates (waitFor): parallel arrays, compacted on every poll.
local pTask, pSeq, pPred, pN = {}, {}, {}, 0
local predWaiting = 0

local signals = {}             -- name -> waiter list { tasks, seqs, head, tail, stale }
local ops = {}                 -- IO operation id -> parked task

local stopping, exitCode = false, nil
local errorHandler = nil
local exitHooks = {}

---------------------------------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------------------------------

-- `level` 3 blames the caller of the word that called argError; checkers pass 4.
local function argError(n, fname, msg, level)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

local function checkTask(fname)
  local task = current
  if not task then
    error(format("%s: not inside a task (it suspends the calling task, so it cannot run in a " ..
      "predicate, an error handler or an exit hook)", fname), 3)
  end
  return task
end

local function checkMs(ms, n, fname, what, level)
  if type(ms) ~= "number" or ms ~= ms or ms < 0 then
    argError(n, fname, format("%s must be a non-negative number of milliseconds, got %s", what,
      type(ms) == "number" and tostring(ms) or type(ms)), level or 4)
  end
end

local function checkTimeout(ms, n, fname)
  if ms ~= nil then checkMs(ms, n, fname, "timeout", 5) end
end

local function checkFunction(fn, n, fname)
  if type(fn) ~= "function" then
    local mt = getmetatable(fn)
    if not (mt and mt.__call) then argError(n, fname, "function expected, got " .. type(fn), 4) end
  end
end

---------------------------------------------------------------------------------------------------
-- Timers
---------------------------------------------------------------------------------------------------

local function heapInsert(t, serial, task, seq)
  hN = hN + 1
  local i = hN
  while i > 1 do
    local p = floor(i / 2)
    local pt = hTime[p]
    if pt < t or (pt == t and hSerial[p] < serial) then break end
    hTime[i], hSerial[i], hTask[i], hSeq[i] = pt, hSerial[p], hTask[p], hSeq[p]
    i = p
  end
  hTime[i], hSerial[i], hTask[i], hSeq[i] = t, serial, task, seq
end

local function heapPop()
  local n = hN
  local t, serial, task, seq = hTime[n], hSerial[n], hTask[n], hSeq[n]
  hTime[n], hSerial[n], hTask[n], hSeq[n] = nil, nil, nil, nil
  n = n - 1
  hN = n
  if n == 0 then return end
  local i = 1
  while true do
    local c = i * 2
    if c > n then break end
    local ct = hTime[c]
    if c < n then
      local rt = hTime[c + 1]
      if rt < ct or (rt == ct and hSerial[c + 1] < hSerial[c]) then c = c + 1; ct = rt end
    end
    if t < ct or (t == ct and serial < hSerial[c]) then break end
    hTime[i], hSerial[i], hTask[i], hSeq[i] = ct, hSerial[c], hTask[c], hSeq[c]
    i = c
  end
  hTime[i], hSerial[i], hTask[i], hSeq[i] = t, serial, task, seq
end

-- Rebuilds the heap without stale entries, keeping each entry's serial so FIFO order among
-- equal deadlines survives; amortised against the staleness that triggered it.
local function compactTimers()
  local times, serials, tasks, seqs, n = hTime, hSerial, hTask, hSeq, hN
  hTime, hSerial, hTask, hSeq, hN = {}, {}, {}, {}, 0
  for i = 1, n do
    local task = tasks[i]
    if task.seq == seqs[i] and task.timerArmed then heapInsert(times[i], serials[i], task, seqs[i]) end
  end
  staleTimers = 0
end

local function armTimer(task, deadline)
  task.timerArmed = true
  armedTimers = armedTimers + 1
  timerSerial = timerSerial + 1
  heapInsert(deadline, timerSerial, task, task.seq)
end

---------------------------------------------------------------------------------------------------
-- Waking and parking
---------------------------------------------------------------------------------------------------

local function enqueue(task)
  task.state = "ready"
  local n = nextN + 1
  nextN = n
  nextQ[n] = task
end

-- Makes a parked task ready with `result` (a packed table or nil) for its wait call to return.
local function wake(task, result)
  task.seq = task.seq + 1
  if task.timerArmed then
    task.timerArmed = false
    armedTimers = armedTimers - 1
    staleTimers = staleTimers + 1
  end
  task.wake = result
  task.waitingOn, task.waitTarget = nil, nil
  enqueue(task)
end

local function compactSignal(list)
  local tasks, seqs = list.tasks, list.seqs
  local newTasks, newSeqs, n = {}, {}, 0
  for i = list.head, list.tail do
    local t = tasks[i]
    if t.seq == seqs[i] then n = n + 1; newTasks[n] = t; newSeqs[n] = seqs[i] end
  end
  list.tasks, list.seqs, list.head, list.tail, list.stale = newTasks, newSeqs, 1, n, 0
end

-- Undoes the registration of a parked task with whatever it waits on (not its timer).
local function releaseWait(task)
  local kind = task.waitingOn
  if kind == "signal" then
    local list = signals[task.waitTarget]
    if list then
      list.stale = list.stale + 1
      local waiting = list.tail - list.head + 1
      if list.stale >= waiting then
        signals[task.waitTarget] = nil
      elseif list.stale > COMPACT_MIN_STALE and list.stale * 2 > waiting then
        compactSignal(list)
      end
    end
  elseif kind == "predicate" then
    predWaiting = predWaiting - 1
  elseif kind == "io" then
    local id = task.waitTarget
    ops[id] = nil
    native.cancelOp(id)
  end
end

-- Suspends the current task until something wakes it; returns the wake result.
local function park(task, status, kind, target, timeoutMs)
  task.state = status
  task.waitingOn, task.waitTarget = kind, target
  if timeoutMs then armTimer(task, clock() + timeoutMs) end
  co_yield(SCHED)
  local result = task.wake
  task.wake = nil
  return result
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

local function taskName(task)
  local name = task.label
  if not name then
    name = describeFunction(task.origin or task.fn)
    task.label = name
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

-- Called by xpcall at the point of the error, so the traceback shows where it happened.
local function captureError(err)
  local task = current
  if task then
    local trace = userTraceback(nil, 2)
    -- an interrupt is raised by the scheduler's hook, not by a call in the user's code
    if task.hookRaised then trace = trace:gsub("\n%s*%[C%]: in function 'error'", "", 1) end
    task.trace = trace
  end
  return err
end

local function notifyJoiners(task, outcome)
  local joiners = task.joiners
  if not joiners then return end
  task.joiners = nil
  for i = 1, #joiners, 2 do
    local waiter = joiners[i]
    if waiter.seq == joiners[i + 1] then wake(waiter, outcome) end
  end
end

local function finishTask(task, status, outcome)
  task.state = status
  task.outcome = outcome
  task.args, task.co = nil, nil
  if live[task.tid] then
    live[task.tid] = nil
    liveCount = liveCount - 1
  end
  notifyJoiners(task, outcome)
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

-- An error no task handled: onError's handler, or print and fail fast (DESIGN.md §3).
local keptError = nil -- nil: print uncaught errors; false / text: a worker keeps the first
local function reportUncaught(task, err, trace)
  if errorHandler then
    local ok, handlerErr = pcall(errorHandler, err, task)
    if ok then return end
    writeStderr(format("tinn: error in onError handler: %s\n", tostring(handlerErr)))
  elseif keptError ~= nil then
    -- a worker: the first error goes to the parent's join instead of stderr
    if keptError == false then
      keptError = format("%s%s\n%s", task.tid == 1 and "" or format("error in task %d (%s): ", task.tid,
        taskName(task)), tostring(err), trace or "stack traceback: (none)")
    end
  else
    writeStderr(format("tinn: error in task %d (%s): %s\n%s\n", task.tid, taskName(task),
      tostring(err), trace or "stack traceback: (none)"))
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
local function hasLiveJoiner(task)
  local joiners = task.joiners
  if not joiners then return false end
  for i = 1, #joiners, 2 do
    if joiners[i].seq == joiners[i + 1] then return true end
  end
  return false
end

local function storeOutcome(task, ok, ...)
  current = nil -- the task's code is over: error handlers run outside it
  if task.state == "cancelled" then return end -- cancelled itself, then unwound: nothing to keep
  if ok then
    finishTask(task, "done", select("#", ...) == 0 and NOTHING or pack(...))
  else
    local err = ...
    local handled = hasLiveJoiner(task)
    local trace = task.trace
    finishTask(task, "failed", { n = 2, nil, err })
    if task.interrupted then
      -- the program is ending on a signal (exit status set): say where the task was
      writeStderr(format("tinn: error in task %d (%s): %s\n%s\n", task.tid, taskName(task),
        tostring(err), trace or "stack traceback: (none)"))
    elseif not handled then
      reportUncaught(task, err, trace)
    end
  end
end

local function taskBody(task)
  local args = task.args
  if args then
    storeOutcome(task, xpcall(task.fn, captureError, unpack(args, 1, args.n)))
  else
    storeOutcome(task, xpcall(task.fn, captureError))
  end
  return FINISHED
end

local function newTask(fn, nargs, ...)
  nextId = nextId + 1
  local task = setmetatable({
    tid = nextId, fn = fn, co = co_create(taskBody), state = "ready", seq = 0,
  }, Task)
  if nargs > 0 then task.args = pack(...) end
  live[nextId] = task
  liveCount = liveCount + 1
  local n = nextN + 1
  nextN = n
  nextQ[n] = task
  return task
end

-- A task whose body is a wrapper (delay, periodic, when...) but whose name comes from `fn`.
local function spawnFor(fn, body, a, b)
  local task = newTask(body, 2, a, b)
  task.origin = fn
  return task
end

local function spawn(fn, ...)
  checkFunction(fn, 1, "spawn")
  return newTask(fn, select("#", ...), ...)
end

local function cancelTask(task)
  local status = task.state
  if status == "done" or status == "failed" or status == "cancelled" then return false end
  if status == "sleeping" or status == "waiting" then
    releaseWait(task)
    wake(task, nil) -- invalidates every registration; the queued entry is skipped below
  end
  finishTask(task, "cancelled", CANCELLED)
  if task == current then co_yield(SCHED) end -- never resumed
  return true
end

-- `t.join()` instead of `t:join()` passes no task: say so rather than index nil.
local function checkSelf(self, method)
  if getmetatable(self) ~= Task then
    error(format("task:%s: call it with ':' on a task (t:%s()), got %s", method, method,
      self == nil and "no task" or type(self)), 3)
  end
end

function Task:id() checkSelf(self, "id") return self.tid end

function Task:name(newName)
  checkSelf(self, "name")
  if newName ~= nil then
    if type(newName) ~= "string" then argError(1, "task:name", "string expected, got " .. type(newName)) end
    self.label = newName
    if self == current then published.name = newName end -- the old name may be collected
  end
  return taskName(self)
end

function Task:status() checkSelf(self, "status") return self.state end

function Task:cancel() checkSelf(self, "cancel") return cancelTask(self) end

function Task:join(timeoutMs)
  checkSelf(self, "join")
  checkTimeout(timeoutMs, 1, "task:join")
  local outcome = self.outcome
  if outcome then return unpackResult(outcome) end
  local waiter = checkTask("task:join")
  if waiter == self then error("task:join: a task cannot join itself", 2) end
  local joiners = self.joiners
  if not joiners then joiners = {}; self.joiners = joiners end
  joiners[#joiners + 1] = waiter
  joiners[#joiners + 1] = waiter.seq
  return unpackResult(park(waiter, "waiting", "join", self.tid, timeoutMs))
end

function Task:__tostring()
  return format("Task(%d, %s, %s)", self.tid, taskName(self), self.state)
end

---------------------------------------------------------------------------------------------------
-- The words (DESIGN.md §2)
---------------------------------------------------------------------------------------------------

local function yield(...)
  local task = checkTask("yield")
  enqueue(task)
  co_yield(SCHED)
  return ...
end

local function sleep(ms)
  local task = checkTask("sleep")
  checkMs(ms, 1, "sleep", "duration")
  park(task, "sleeping", "sleep", nil, ms)
end

local function sleepUntil(task, deadline)
  task.state = "sleeping"
  task.waitingOn = "sleep"
  armTimer(task, deadline)
  co_yield(SCHED)
  task.wake = nil
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
  return spawnFor(fn, delayBody, fn, ms)
end

-- Ticks land on the grid start + k*ms; ticks missed while fn overran are skipped, not queued.
local function periodicBody(fn, ms)
  local task = current
  local nextAt = clock() + ms
  while true do
    sleepUntil(task, nextAt)
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
  return spawnFor(fn, periodicBody, fn, ms)
end

local PREDICATE_FAILED = {}

local function waitFor(pred, timeoutMs)
  local task = checkTask("waitFor")
  checkFunction(pred, 1, "waitFor")
  checkTimeout(timeoutMs, 2, "waitFor")
  -- evaluated outside the task, as every later evaluation is, so a predicate cannot suspend
  current = nil
  local ok, holds = pcall(pred)
  current = task
  if not ok then error(holds, 0) end
  if holds then return true end
  pN = pN + 1
  pTask[pN], pSeq[pN], pPred[pN] = task, task.seq, pred
  predWaiting = predWaiting + 1
  local r = park(task, "waiting", "predicate", pred, timeoutMs)
  if r and r[1] == PREDICATE_FAILED then error(r[2], 0) end
  return unpackResult(r)
end

local function pollPredicates()
  local n, kept = pN, 0
  for i = 1, n do
    local task, seq, pred = pTask[i], pSeq[i], pPred[i]
    pTask[i], pSeq[i], pPred[i] = nil, nil, nil
    if task.seq == seq then
      local ok, value = pcall(pred)
      if not ok then
        predWaiting = predWaiting - 1
        -- raised inside the waiting task, so only that task fails, with its own traceback
        wake(task, { n = 2, PREDICATE_FAILED, value })
      elseif value then
        predWaiting = predWaiting - 1
        wake(task, TRUE)
      else
        kept = kept + 1
        pTask[kept], pSeq[kept], pPred[kept] = task, seq, pred
      end
    end
  end
  -- predicates registered while polling (none can be: predicates run outside tasks) stay valid
  for i = n + 1, pN do
    kept = kept + 1
    pTask[kept], pSeq[kept], pPred[kept] = pTask[i], pSeq[i], pPred[i]
    pTask[i], pSeq[i], pPred[i] = nil, nil, nil
  end
  pN = kept
end

local function whenBody(pred, fn)
  waitFor(pred)
  return fn()
end

local function when(pred, fn)
  checkFunction(pred, 1, "when")
  checkFunction(fn, 2, "when")
  return spawnFor(fn, whenBody, pred, fn)
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
  checkFunction(pred, 1, "whenever")
  checkFunction(fn, 2, "whenever")
  return spawnFor(fn, wheneverBody, pred, fn)
end

local function checkSignalName(name, fname)
  if name == nil then argError(1, fname, "signal name expected, got nil", 4) end
end

local function addSignalWaiter(name, task)
  local list = signals[name]
  if not list then
    list = { tasks = {}, seqs = {}, head = 1, tail = 0, stale = 0 }
    signals[name] = list
  end
  local tail = list.tail + 1
  list.tail = tail
  list.tasks[tail], list.seqs[tail] = task, task.seq
end

local function waitSignal(name, timeoutMs)
  local task = checkTask("waitSignal")
  checkSignalName(name, "waitSignal")
  checkTimeout(timeoutMs, 2, "waitSignal")
  addSignalWaiter(name, task)
  return unpackResult(park(task, "waiting", "signal", name, timeoutMs))
end

local function signalOne(name, ...)
  checkSignalName(name, "signalOne")
  local list = signals[name]
  if not list then return 0 end
  local tasks, seqs = list.tasks, list.seqs
  for i = list.head, list.tail do
    local task, seq = tasks[i], seqs[i]
    tasks[i], seqs[i] = nil, nil
    if task.seq == seq then
      list.head = i + 1
      if i == list.tail then signals[name] = nil end
      wake(task, select("#", ...) == 0 and NOTHING or pack(...))
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
  local tasks, seqs, woken = list.tasks, list.seqs, 0
  for i = list.head, list.tail do
    local task = tasks[i]
    if task.seq == seqs[i] then
      woken = woken + 1
      wake(task, values)
    end
  end
  return woken
end

-- The task first runs once the signal woke it, with the values it was sent in `task.wake`.
local function onSignalBody(fn)
  local task = current
  local values = task.wake
  task.wake = nil
  return fn(unpackResult(values))
end

-- The handler's task waits on the signal from the call on, before it ever runs, so a
-- `signalOne(name)` right after onSignal reaches it (TINN's Parallel Conversations demo).
local function onSignal(fn, name)
  checkFunction(fn, 1, "onSignal")
  checkSignalName(name, "onSignal")
  local task = spawnFor(fn, onSignalBody, fn, nil)
  nextQ[nextN] = nil -- spawnFor queued it last; it waits instead
  nextN = nextN - 1
  task.state, task.waitingOn, task.waitTarget = "waiting", "signal", name
  addSignalWaiter(name, task)
  return task
end

local function run(fn, ...)
  checkFunction(fn, 1, "run")
  return newTask(fn, select("#", ...), ...)
end

local function checkExitCode(code, fname)
  if code ~= nil and (type(code) ~= "number" or code ~= floor(code) or code < 0 or code > 255) then
    argError(1, fname, "exit code must be an integer 0-255, got " .. tostring(code), 4)
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
  local task = current
  if task then
    finishTask(task, "cancelled", CANCELLED)
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

local function tasks()
  local list = {}
  for _, task in pairs(live) do
    list[#list + 1] = {
      id = task.tid, name = taskName(task), status = task.state,
      waitingOn = task.waitingOn, target = task.waitTarget, task = task,
    }
  end
  table.sort(list, function(a, b) return a.id < b.id end)
  return list
end

local function currentTask() return current end

---------------------------------------------------------------------------------------------------
-- IO operations (the reactor seam)
---------------------------------------------------------------------------------------------------

-- Native functions that cannot finish at once return PENDING and an operation id; the caller
-- parks on the id with `awaitOp`, and `tick` hands the result back when Rust reports it.
local PENDING = native.PENDING

local function awaitOp(id, timeoutMs)
  local task = checkTask("awaitOp")
  checkTimeout(timeoutMs, 2, "awaitOp")
  ops[id] = task
  return unpackResult(park(task, "waiting", "io", id, timeoutMs))
end

-- Finishes a native call: `return await(timeoutMs, native.read(handle, n))` returns the native
-- results directly (fast path) or parks the task when they are `PENDING, id`.
local function await(timeoutMs, ...)
  local first, id = ...
  if first == PENDING then return awaitOp(id, timeoutMs) end
  return ...
end

local function completeOps(completions)
  for i = 1, #completions, 2 do
    local id = completions[i]
    local task = ops[id]
    if task then
      ops[id] = nil
      wake(task, completions[i + 1])
    end
  end
end

---------------------------------------------------------------------------------------------------
-- The loop, as seen from Rust
---------------------------------------------------------------------------------------------------

local function fireTimers(now)
  while hN > 0 and hTime[1] <= now do
    local task, seq = hTask[1], hSeq[1]
    heapPop()
    if task.seq == seq and task.timerArmed then
      task.timerArmed = false
      armedTimers = armedTimers - 1
      if task.waitingOn == "sleep" then
        wake(task, nil)
      else
        releaseWait(task)
        wake(task, TIMEOUT)
      end
    else
      staleTimers = staleTimers - 1
    end
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
    nextQ, nextN, runQ = runQ, 0, q
    for i = 1, n do
      local task = q[i]
      q[i] = nil
      if task.state == "ready" then
        current = task
        task.state = "running"
        local co = task.co
        local name = task.label
        if not name and publishAllNames then name = taskName(task) end
        published.task = task.tid
        published.name = name
        local ok, marker = co_resume(co, task)
        published.task = 0
        current = nil
        if marker ~= SCHED and marker ~= FINISHED then
          if not ok then
            -- the body itself failed (e.g. the error handler ran out of memory)
            finishTask(task, "failed", { n = 2, nil, marker })
            reportUncaught(task, marker, nil)
          elseif co_status(co) ~= "dead" then
            enqueue(task) -- a bare coroutine.yield() at task level acts as yield()
          end
        end
        if stopping then
          for j = i + 1, n do q[j] = nil end
          return
        end
      end
    end
    switches = switches + n
    if hN > 0 or switches >= readClockAt then
      now = clock()
      readClockAt = switches + CLOCK_EVERY
      if hN > 0 then fireTimers(now) end
    end
    if pN > 0 then pollPredicates() end
  until nextN == 0 or switches >= SWITCH_BUDGET or stopping or now - started >= TURN_BUDGET_MS
end

-- How long Rust may wait for IO before calling tick again: 0 = don't wait, -1 = nothing in Lua
-- will ever become ready by itself (only IO or an OS signal can wake a task).
local function waitHint()
  if nextN > 0 then return 0 end
  local wait = -1
  while hN > 0 do
    local task = hTask[1]
    if task.seq == hSeq[1] and task.timerArmed then
      wait = hTime[1] - clock()
      if wait < 0 then wait = 0 end
      break
    end
    heapPop()
    staleTimers = staleTimers - 1
  end
  if predWaiting > 0 and (wait < 0 or wait > PREDICATE_POLL_MS) then wait = PREDICATE_POLL_MS end
  return wait
end

local EXIT = native.EXIT -- tick's "the program ends" (event_loop.rs defines it)

-- Exit status when the main task waits on something nothing can deliver (Node's code for a
-- top-level await that never settles).
local STARVED_EXIT = 13

local OS_SIGNALS = { SIGINT = true, SIGTERM = true, SIGHUP = true }

-- What a parked task waits for, for the message below; follows joins to the task at the end.
local function describeWait(task, depth)
  local kind, target = task.waitingOn, task.waitTarget
  if kind == "signal" then
    if OS_SIGNALS[target] then
      return format("signal '%s', but waiting for an OS signal alone does not keep a program alive " ..
        "(keep a timer, server or other IO running)", target)
    end
    return format("signal '%s', which nothing can send", tostring(target))
  elseif kind == "join" then
    local joined = live[target]
    if joined and depth < 8 and (joined.state == "waiting" or joined.state == "sleeping") then
      return format("task %d (%s) to finish, which waits for %s", target, taskName(joined),
        describeWait(joined, depth + 1))
    end
    return format("task %d to finish", target)
  elseif kind == "io" then
    return "an operation nothing will complete"
  end
  return tostring(kind or task.state)
end

-- Nothing is ready, sleeping, polling or doing IO. If the main task is still waiting, the
-- program did not finish: say on what, and exit 13. Other tasks left waiting stay quiet.
local function reportStarvedMain()
  local main = live[1]
  if main and main.isMain and main.state == "waiting" and exitCode == nil then
    local message = format("main task waits for %s", describeWait(main, 0))
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
local function shutdown(code)
  if code == nil and not stopping then reportStarvedMain() end
  -- the signal thread's fallback must not take a slow exit hook for a stuck task
  published.task = 0
  requestExit(code or 0)
  local all = {}
  for _, task in pairs(live) do all[#all + 1] = task end
  table.sort(all, function(a, b) return a.tid < b.tid end)
  for _, task in ipairs(all) do cancelTask(task) end
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

-- One turn of the event loop: hand back IO completions, run ready tasks, fire timers.
-- Returns EXIT and the status when the program must end, else the wait hint in ms.
local function tick(completions)
  if completions then completeOps(completions) end
  if not stopping then
    if hN > 0 then fireTimers(clock()) end
    if pN > 0 then pollPredicates() end
    runReady()
  end
  if stopping then return EXIT, shutdown(exitCode) end
  return waitHint()
end

-- An OS signal (SIGINT, SIGTERM, SIGHUP) arrived; true when some task was waiting for it.
local function deliverSignal(name)
  return signalAll(name) > 0
end

local function hasWaiters(name)
  local list = signals[name]
  if not list then return false end
  for i = list.head, list.tail do
    if list.tasks[i].seq == list.seqs[i] then return true end
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
  local task = current
  if not task then return end
  if kind == "watchdog" then
    writeStderr(userTraceback(format("tinn: watchdog: task %d (%s) is at:", task.tid,
      taskName(task)), 2) .. "\n")
    return
  end
  if not interruptKeepsRunning then
    -- a handler runs once the task yields; if it never does, the signal thread ends the program
    if hasWaiters(name) then return end
    task.interrupted = true
    requestExit(status)
  end
  task.hookRaised = true
  error(name == "SIGINT" and "interrupted" or "interrupted by " .. name, 0)
end

local function spawnMain(fn, ...)
  local task = newTask(fn, select("#", ...), ...)
  task.label, task.isMain = "main", true
  return task
end

---------------------------------------------------------------------------------------------------
-- User coroutines: a scheduler yield inside one passes through to the scheduler
---------------------------------------------------------------------------------------------------

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

---------------------------------------------------------------------------------------------------
-- Exports
---------------------------------------------------------------------------------------------------

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

local reactor = {
  PENDING = PENDING, awaitOp = awaitOp, await = await, traceback = userTraceback, workerFailed = workerFailed,
  -- internal, for the REPL
  setInterruptKeepsRunning = setInterruptKeepsRunning,
}
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
  -- for the `tinn` table
  tasks = tasks,
  atExit = atExit,
  currentTask = currentTask,
  now = clock,
}
