-- Worker benchmarks (issue 10), run by bench/run: message round trips per second between the
-- program and one worker, the same over a loopback TCP socket inside one worker (two threads
-- vs one event loop), and a CPU-bound job (counting primes) on 1 worker vs one per core.
local worker = require("tinn.worker")
local net = require("tinn.net")
local clock = tinn.now

local ROUND_TRIPS = 100000

local function report(name, value, unit, extra)
  io.write(string.format("%-44s %10.1f %-6s%s\n", name, value, unit, extra or ""))
end

-- parent <-> worker message round trips
local echo = worker.spawn([[
  local worker = require("tinn.worker")
  while true do
    local n = worker.receive()
    if n == nil then return end
    worker.post(n)
  end
]])
local t0 = clock()
for i = 1, ROUND_TRIPS do
  echo:post(i)
  echo:receive()
end
local workerRate = ROUND_TRIPS / ((clock() - t0) / 1000)
echo:post(nil)
echo:join()
report("worker round trips (parent <-> 1 worker)", workerRate, "/s")

-- the same over loopback TCP, client and server tasks on one event loop
local server = assert(net.tcp.listen("127.0.0.1", 0))
spawn(server.serve, server, function(stream)
  while true do
    local line = stream:read("l")
    if not line then return end
    stream:write(line .. "\n")
  end
end)
local client = assert(net.tcp.connect("127.0.0.1", server.port))
t0 = clock()
for i = 1, ROUND_TRIPS / 4 do
  client:write(i .. "\n")
  client:read("l")
end
local tcpRate = (ROUND_TRIPS / 4) / ((clock() - t0) / 1000)
client:close()
server:close()
report("TCP loopback round trips (1 thread)", tcpRate, "/s",
  string.format("  worker/tcp = %.2fx", workerRate / tcpRate))

-- primes: the same jobs on 1 worker, then on one worker per core
local COUNTER = [[
  local worker = require("tinn.worker")
  local from, to = worker.args.from, worker.args.to
  local count = 0
  for n = from, to do
    local prime = n >= 2
    if n % 2 == 0 then prime = n == 2 end
    local d = 3
    while prime and d * d <= n do
      if n % d == 0 then prime = false end
      d = d + 2
    end
    if prime then count = count + 1 end
  end
  return count
]]
local LIMIT = 6000000
local function primes(workers)
  local start = clock()
  local step = math.ceil(LIMIT / workers)
  local pool = {}
  for i = 1, workers do
    pool[i] = worker.spawn(COUNTER, { args = { from = (i - 1) * step + 1, to = math.min(i * step, LIMIT) } })
  end
  local total = 0
  for i = 1, workers do total = total + pool[i]:join() end
  return total, clock() - start
end
local cores = worker.cpus()
local c1, ms1 = primes(1)
local cn, msn = primes(cores)
assert(c1 == cn, "both runs agree")
report("primes below " .. LIMIT .. ", 1 worker", ms1, "ms")
report("primes below " .. LIMIT .. ", " .. cores .. " workers", msn, "ms",
  string.format("  speed-up %.2fx on %d cores = %.2f x cores  (target >= 0.8 x cores)",
    ms1 / msn, cores, ms1 / msn / cores))
