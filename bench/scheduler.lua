-- Scheduler benchmarks (DESIGN §6), run by bench/run with the tinn binary. Each line gives the
-- measured figure, the baseline measured in this same run where there is one, and the ratio.
local clock = tinn.now
local TINN = dofile(arg[1] .. "/baselines/tinn_design.lua")

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

-- 1 M tasks parked on one signal: resident memory, then waking them all
do
  collectgarbage()
  local before = rssMb()
  local N = 1e6
  local woken = 0
  local function waiter() waitSignal("go") woken = woken + 1 end
  for _ = 1, N do spawn(waiter) end
  yield()
  collectgarbage()
  local parked = rssMb() - before
  report("1 M tasks parked on a signal: RSS growth", parked, "MB", 600, "target < 600 MB")
  local t0 = clock()
  signalAll("go")
  yield() yield()
  assert(woken == N, "every parked task woke")
  report("  signalAll + run 1 M woken tasks", clock() - t0, "ms")
end

-- 1 M concurrent sleeps: they must fire in deadline order; cost per timer
do
  collectgarbage()
  local N = 1e6
  local fired, lastDeadline, outOfOrder = 0, -1, 0
  local function sleeper(ms)
    local deadline = clock() + ms
    sleep(ms)
    if deadline < lastDeadline - 1 then outOfOrder = outOfOrder + 1 end
    if deadline > lastDeadline then lastDeadline = deadline end
    fired = fired + 1
  end
  math.randomseed(7)
  local cpu0, t0 = os.clock(), clock()
  for _ = 1, N do spawn(sleeper, math.random() * 500) end
  waitFor(function() return fired == N end)
  local cpuUs = (os.clock() - cpu0) * 1e6 / N
  report("1 M sleeps: CPU per timer (spawn+arm+fire+wake)", cpuUs, "us", 1, "target < 1 us overhead")
  report("  wall time for 500 ms of sleeps", clock() - t0, "ms")
  report("  fired out of deadline order", outOfOrder, "tasks")
end
