-- A model of TINN's pure-Lua scheduler design, for the DESIGN §6 ratio "≥ 20x TINN's design".
-- Written for this benchmark from a reading of TINN's scheduler: what it costs per task switch
-- is kept (a FIFO whose indices grow forever, a results table packed on every resume and shifted
-- with table.remove, coroutine.status checked before and after each resume, a params table on
-- every re-schedule, the alarm list polled on every step); its Windows clock and signals are not.

local Queue = {}
Queue.__index = Queue
local function newQueue() return setmetatable({ first = 1, last = 0 }, Queue) end
function Queue:enqueue(v) local last = self.last + 1 self.last = last self[last] = v end
function Queue:dequeue()
  local first = self.first
  if first > self.last then return nil end
  local v = self[first]
  self[first] = nil
  self.first = first + 1
  return v
end

local ready = newQueue()
local alarms = {}
local current

local function schedule(task, params)
  task.params = params or {}
  task.state = "readytorun"
  ready:enqueue(task)
end

local function spawn(fn, ...)
  local task = { routine = coroutine.create(fn) }
  schedule(task, { ... })
  return task
end

local function yield(...) return coroutine.yield(...) end

local function step()
  local task = ready:dequeue()
  if not task then return false end
  if coroutine.status(task.routine) == "dead" then return true end
  if task.state == "suspended" then return true end
  current = task
  local results = { coroutine.resume(task.routine, unpack(task.params)) }
  table.remove(results, 1)
  current = nil
  if coroutine.status(task.routine) == "dead" then return true end
  if task.state == "readytorun" then schedule(task, results) end
  return true
end

local function alarmDue() return alarms[1] ~= nil end

local function run()
  while step() do
    if alarmDue() then table.remove(alarms, 1) end
  end
end

return { spawn = spawn, yield = yield, run = run }
