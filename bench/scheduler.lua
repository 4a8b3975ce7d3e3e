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

-- Resident memory once garbage is collected and the allocator gave it back: mimalloc returns
-- freed memory to the OS some 100 ms after the free, when a later page is freed, which a living
-- process soon does; mi_collect(true) does it now. Both figures are printed.
local function collectAndPurge(before)
  collectgarbage()
  local collected = rssMb() - before
  local ffi = require("ffi")
  ffi.cdef("void mi_collect(bool force);")
  ffi.C.mi_collect(true)
  return collected, rssMb() - before
end

-- 1 M concurrent sleeps with deadlines spread over 500 ms: they must fire in deadline order.
-- The cost of a timer (arm + fire) is CPU time per task measured against baselines that park
-- and resume the same tasks in the same order without a timer. Waking 1 M tasks in random
-- order costs much more than in the order they were made (cache and TLB misses on their
-- coroutines and slots), so random deadlines are compared with tasks parked on a signal per
-- millisecond of the same deadlines, woken by signalAll one millisecond after the other at the
-- times their timers would fire (the order timers fire in), and that signal wait's own cost is
-- measured in spawn order.
local function timerKinds()
  local N, SPREAD_MS = 1e6, 500
  local floor, random = math.floor, math.random
  -- User and kernel CPU seconds of this process so far (/proc/self/stat, in USER_HZ ticks).
  local function cpuTimes()
    local f = assert(io.open("/proc/self/stat"))
    local stat = f:read("*a")
    f:close()
    local user, kernel = stat:match("^%d+ %b() %S+" .. (" %S+"):rep(10) .. " (%d+) (%d+)")
    return user / 100, kernel / 100
  end
  -- User CPU per task (us), then kernel CPU per task: the kernel's share is mostly zeroing the
  -- (huge) pages mimalloc takes back after purging them, and varies tenfold run to run with
  -- the machine's load, so the timer figures compare user CPU.
  local function cpuFor(spawnAll, finished)
    collectgarbage()
    local user0, kernel0 = cpuTimes()
    spawnAll()
    waitFor(finished)
    local user, kernel = cpuTimes()
    return (user - user0) * 1e6 / N, (kernel - kernel0) * 1e6 / N
  end
  local done, lastDeadline, outOfOrder = 0, -1, 0
  local function finished() return done == N end
  local function sleeper(ms)
    local deadline = clock() + ms
    sleep(ms)
    if deadline < lastDeadline - 1 then outOfOrder = outOfOrder + 1 end
    if deadline > lastDeadline then lastDeadline = deadline end
    done = done + 1
  end
  local function yielder()
    yield()
    done = done + 1
  end
  local function signalWaiter(ms)
    waitSignal(floor(ms))
    done = done + 1
  end
  -- Runs after every waiter of its round has parked, and wakes them when their timers would
  -- have fired: a millisecond's tasks then run after the loop slept, as woken sleepers do
  -- (with caches cold), not in one burst. One timer per millisecond, not per task.
  local function wakeEachMillisecond()
    local start = clock()
    for ms = 0, SPREAD_MS do
      local wait = start + ms + 1 - clock()
      if wait > 0 then sleep(wait) end
      signalAll(ms)
    end
  end
  -- Spawns N tasks running `body(deadline)`, deadlines random (seeded alike) or in spawn order.
  local function spawner(body, inOrder, thenRun)
    return function()
      done, lastDeadline = 0, -1
      math.randomseed(7)
      for i = 1, N do spawn(body, inOrder and i * SPREAD_MS / N or random() * SPREAD_MS) end
      if thenRun then spawn(thenRun) end
    end
  end
  local kinds = {
    { name = "yield", spawnAll = spawner(yielder, true) },
    { name = "signal, spawn order", spawnAll = spawner(signalWaiter, true, wakeEachMillisecond) },
    { name = "signal, random order", spawnAll = spawner(signalWaiter, false, wakeEachMillisecond) },
    { name = "sleep, spawn order", spawnAll = spawner(sleeper, true) },
    { name = "sleep, random order", spawnAll = spawner(sleeper, false) },
  }
  local rounds = { wallMs = math.huge }
  -- Runs kind `k` ROUNDS times; prints the best round's user and kernel CPU per task, the best
  -- round's wall time and how many sleeps fired out of order. The first round of any kind pays
  -- for growing the scheduler's tables.
  function rounds.run(k)
    local kind, best, bestKernel = kinds[k], math.huge, nil
    for _ = 1, rounds.ROUNDS do
      local t0 = clock()
      local user, kernel = cpuFor(kind.spawnAll, finished)
      if user < best then best, bestKernel = user, kernel end
      rounds.wallMs = math.min(rounds.wallMs, clock() - t0)
    end
    print(best, bestKernel, rounds.wallMs, outOfOrder)
  end
  rounds.ROUNDS, rounds.kinds = 3, kinds
  return rounds
end

-- Child processes: RSS growth for 1 M parked coroutines, bare (the LuaJIT floor) or as tinn tasks
-- waiting on a signal; prints the growth after collectAndPurge's two steps (MB), then for tasks
-- the ms to wake them all.
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
  print(collectAndPurge(before))
  return
elseif child == "parked" then
  collectgarbage()
  local before = rssMb()
  local woken = 0
  local function waiter() waitSignal("go") woken = woken + 1 end
  for _ = 1, PARKED do spawn(waiter) end
  -- the first yield runs them all; the round that does ends (dropping its 1 M-entry ready
  -- queue) before this task runs again after the second
  yield() yield()
  local collected, purged = collectAndPurge(before)
  local t0 = clock()
  signalAll("go")
  yield() yield()
  assert(woken == PARKED, "every parked task woke")
  print(collected, purged, clock() - t0)
  return
elseif child == "timers" then
  timerKinds().run(tonumber(arg[3]))
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
  local numbers = {}
  for word in text:gmatch("%S+") do numbers[#numbers + 1] = tonumber(word) end
  return unpack(numbers)
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
  local floor, floorPurged = inChild("floor")
  local parked, parkedPurged, wakeMs = inChild("parked")
  report("1 M bare parked coroutines: RSS growth", floor, "MB")
  report("1 M tasks parked on a signal: RSS growth", parked, "MB", floor, "before the allocator's purge")
  report("  the same once mimalloc returned freed memory", parkedPurged, "MB", floorPurged,
    "target <= 1.15x bare")
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

-- 1 M concurrent sleeps (see timerKinds), each kind in a child process of its own: kinds run
-- one after the other in one process paid for each other's garbage and purged memory.
do
  local kinds, cpu, kernelCpu, wallMs, outOfOrder = timerKinds().kinds, {}, {}, nil, 0
  for k, kind in ipairs(kinds) do
    local user, kernel, wall, late = inChild("timers " .. k)
    cpu[kind.name], kernelCpu[kind.name], outOfOrder = user, kernel, outOfOrder + late
    if kind.name == "sleep, random order" then wallMs = wall end
  end
  local signalCost = cpu["signal, spawn order"] - cpu.yield
  report("1 M tasks: user CPU per task, spawn+yield", cpu.yield, "us")
  report("  spawn+sleep, random deadlines", cpu["sleep, random order"], "us")
  report("  spawn+waitSignal, woken in that order", cpu["signal, random order"], "us")
  report("  the same, in spawn order", cpu["signal, spawn order"], "us")
  report("  spawn+sleep, deadlines in spawn order", cpu["sleep, spawn order"], "us")
  report("  waking in random order instead (signals)",
    cpu["signal, random order"] - cpu["signal, spawn order"], "us")
  report("  signal wait + wake (spawn order)", signalCost, "us")
  report("  timer arm+fire, random deadlines", cpu["sleep, random order"] - cpu["signal, random order"]
    + signalCost, "us", 1, "target < 1 us")
  report("  timer arm+fire, deadlines in spawn order", cpu["sleep, spawn order"] - cpu.yield, "us", 1,
    "target < 1 us")
  io.write("  kernel CPU per task in those rounds (us):")
  for _, kind in ipairs(kinds) do io.write(string.format(" %s %.1f;", kind.name, kernelCpu[kind.name])) end
  io.write("\n")
  report("  wall time for 500 ms of sleeps", wallMs, "ms")
  report("  fired out of deadline order (> 1 ms), all rounds", outOfOrder, "tasks")
end
