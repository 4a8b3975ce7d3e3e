-- Scheduler benchmarks (DESIGN §6), run by bench/run with the tinn binary. Each line gives the
-- measured figure, the baseline measured in this same run where there is one, and the ratio.
-- `tinn bench/scheduler.lua BENCH_DIR` runs them all; the memory figures come from child
-- processes (`... BENCH_DIR floor|parked`), each starting from a fresh heap.
local clock = tinn.now
local benchDir, child = arg[1], arg[2]

local function report(name, value, unit, baseline, target)
  io.write(string.format("%-44s %10.1f %-6s", name, value, unit))
  if baseline then io.write(string.format("  ratio %5.2fx  (%s)", value / baseline, target)) end
  io.write("\n")
end

local function rssMb()
  local f = assert(io.open("/proc/self/status"))
  local kb = f:read("*a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kb) / 1024
end

local PARKED = 1e6

-- Child processes: RSS growth for 1 M parked coroutines, bare (the LuaJIT floor) or as tinn tasks
-- waiting on a signal; prints "MB" or "MB ms-to-wake-them-all".
if child == "floor" then
  collectgarbage()
  local before = rssMb()
  local cos, create, resume = {}, coroutine.create, coroutine.resume
  local function parked() coroutine.yield() end
  for i = 1, PARKED do
    local co = create(parked)
    resume(co)
    cos[i] = co
  end
  collectgarbage()
  print(rssMb() - before)
  return
elseif child == "parked" then
  collectgarbage()
  local before = rssMb()
  local woken = 0
  local function waiter() waitSignal("go") woken = woken + 1 end
  for _ = 1, PARKED do spawn(waiter) end
  yield()
  collectgarbage()
  local grown = rssMb() - before
  local t0 = clock()
  signalAll("go")
  yield() yield()
  assert(woken == PARKED, "every parked task woke")
  print(grown, clock() - t0)
  return
end

local TINN = dofile(benchDir .. "/baselines/tinn_design.lua")

-- Runs this script again in a child process in `mode`; returns the numbers it printed.
local function inChild(mode)
  local stat = assert(io.open("/proc/self/stat"))
  local pid = stat:read("*n")
  stat:close()
  local out = assert(io.popen(string.format("/proc/%d/exe %q %q %s", pid, arg[0], benchDir, mode)))
  local text = out:read("*a")
  out:close()
  local a, b = text:match("^(%S+)%s*(%S*)")
  return tonumber(a), tonumber(b)
end

-- Raw LuaJIT: n coroutines resumed round-robin, each yielding; ns per resume+yield.
local function rawSwitch(n, switches)
  local cos = {}
  for i = 1, n do cos[i] = coroutine.create(function() while true do coroutine.yield() end end) end
  local resume = coroutine.resume
  local t0 = clock()
  local rounds = switches / n
  for _ = 1, rounds do
    for i = 1, n do resume(cos[i]) end
  end
  return (clock() - t0) * 1e6 / switches
end

-- tinn: n tasks, each calling yield(); ns per switch (all n tasks run `rounds` times).
local function tinnSwitch(n, switches)
  local rounds = switches / n
  local done = 0
  local function worker()
    for _ = 1, rounds do yield() end
    done = done + 1
  end
  for _ = 1, n do spawn(worker) end
  local t0 = clock()
  waitFor(function() return done == n end)
  return (clock() - t0) * 1e6 / switches
end

local function tinnDesignSwitch(n, switches)
  local rounds = switches / n
  for _ = 1, n do TINN.spawn(function() for _ = 1, rounds do TINN.yield() end end) end
  local t0 = clock()
  TINN.run()
  return (clock() - t0) * 1e6 / switches
end

local SWITCHES = 2e6
for _, n in ipairs({ 1, 1000 }) do
  -- warm up both so the JIT has compiled them
  rawSwitch(n, 1e5); tinnSwitch(n, 1e5)
  local raw = rawSwitch(n, SWITCHES)
  local ours = tinnSwitch(n, SWITCHES)
  report(("yield round trip, %d task%s: raw coroutine"):format(n, n == 1 and "" or "s"), raw, "ns")
  report(("yield round trip, %d task%s: tinn"):format(n, n == 1 and "" or "s"), ours, "ns", raw, "target <= 2x raw")
  if n == 1000 then
    local old = tinnDesignSwitch(n, SWITCHES)
    report("yield round trip, 1000 tasks: TINN design", old, "ns")
    report("  TINN design / tinn", old / ours, "x", nil)
    io.write("    (target >= 20x)\n")
  end
end

-- spawn + finish an empty task, in batches so the ready queue stays a realistic size
do
  local function empty() end
  local BATCH, BATCHES = 10000, 200
  for _ = 1, BATCH do spawn(empty) end
  yield()
  local t0 = clock()
  for _ = 1, BATCHES do
    for _ = 1, BATCH do spawn(empty) end
    yield()
  end
  local perSecond = BATCH * BATCHES / ((clock() - t0) / 1000)
  report("spawn + finish empty tasks", perSecond / 1e6, "M/s", 2, "target >= 2 M/s")
end

-- 1 M tasks parked on one signal vs 1 M bare parked coroutines: resident memory, then waking
do
  local floor = inChild("floor")
  local parked, wakeMs = inChild("parked")
  report("1 M bare parked coroutines: RSS growth", floor, "MB")
  report("1 M tasks parked on a signal: RSS growth", parked, "MB", floor, "target <= 1.15x bare")
  report("  signalAll + run 1 M woken tasks", wakeMs, "ms")
end

-- sleep(1) alone: how late the loop wakes a task (Rust's timer and the tick around it)
do
  local samples = {}
  for i = 1, 200 do
    local t0 = clock()
    sleep(1)
    samples[i] = clock() - t0
  end
  table.sort(samples)
  report("sleep(1): median time asleep", samples[100], "ms", 1, "target <= 1.2 ms")
end

-- 1 M concurrent sleeps with deadlines spread over 500 ms: they must fire in deadline order.
-- The cost of a timer (arm + fire) is the CPU time of spawning tasks that sleep once minus
-- that of spawning tasks that yield once: both park and resume once, only one uses a timer.
do
  local N = 1e6
  local function cpuFor(spawnAll, finished)
    collectgarbage()
    local cpu0 = os.clock()
    spawnAll()
    waitFor(finished)
    return (os.clock() - cpu0) * 1e6 / N
  end
  local fired, lastDeadline, outOfOrder = 0, -1, 0
  local function sleeper(ms)
    local deadline = clock() + ms
    sleep(ms)
    if deadline < lastDeadline - 1 then outOfOrder = outOfOrder + 1 end
    if deadline > lastDeadline then lastDeadline = deadline end
    fired = fired + 1
  end
  local yielded = 0
  local function yielder()
    yield()
    yielded = yielded + 1
  end
  local random = math.random
  local function spawnYielders()
    math.randomseed(7)
    for _ = 1, N do spawn(yielder, random() * 500) end
  end
  local function spawnOrderedSleepers()
    for i = 1, N do spawn(sleeper, i * 500 / N) end
  end
  local function spawnRandomSleepers()
    math.randomseed(7)
    for _ = 1, N do spawn(sleeper, random() * 500) end
  end
  -- Each kind runs ROUNDS times, interleaved, and its best round counts: the first round of
  -- any kind pays for growing the scheduler's tables and a GC cycle the others do not.
  local ROUNDS = 3
  local yieldCpu, orderedCpu, sleepCpu, wallMs = math.huge, math.huge, math.huge, math.huge
  for _ = 1, ROUNDS do
    yielded = 0
    yieldCpu = math.min(yieldCpu, cpuFor(spawnYielders, function() return yielded == N end))
    -- Sleeps with deadlines in spawn order wake tasks in the order they were made, as the
    -- yielders do (and leave free slots in that order), so the difference is the timers' own
    -- work, without the cache misses of resuming 1 M tasks in random order.
    fired, lastDeadline = 0, -1
    orderedCpu = math.min(orderedCpu, cpuFor(spawnOrderedSleepers, function() return fired == N end))
    fired, lastDeadline = 0, -1
    local t0 = clock()
    sleepCpu = math.min(sleepCpu, cpuFor(spawnRandomSleepers, function() return fired == N end))
    wallMs = math.min(wallMs, clock() - t0)
  end
  report("1 M sleeps: CPU per task, spawn+yield", yieldCpu, "us")
  report("1 M sleeps: CPU per task, spawn+sleep", sleepCpu, "us")
  report("  timer arm+fire (the difference)", sleepCpu - yieldCpu, "us", 1, "target < 1 us")
  report("  the same, deadlines in spawn order", orderedCpu - yieldCpu, "us")
  report("  wall time for 500 ms of sleeps", wallMs, "ms")
  report("  fired out of deadline order (> 1 ms), all rounds", outOfOrder, "tasks")
end
