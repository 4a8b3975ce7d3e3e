-- Worker benchmarks (issue 10), run by bench/run: message round trips between the program and
-- a worker and between two workers over a channel, against the same two workers talking over a
-- loopback TCP socket (and one event loop talking to itself over TCP, for scale); moving a 1 MiB
-- buffer vs copying a 1 MiB string; a CPU-bound job (counting primes) on 1 worker vs one per core.
local worker = require("tinn.worker")
local net = require("tinn.net")
local clock = tinn.now

local ROUND_TRIPS = 50000

local function report(name, value, unit, extra)
  io.write(string.format("%-48s %10.1f %-6s%s\n", name, value, unit, extra or ""))
end

local function perSecond(count, fn)
  local t0 = clock()
  fn()
  return count / ((clock() - t0) / 1000)
end

-- parent <-> worker
local ECHO = [[
  local worker = require("tinn.worker")
  while true do
    local msg = worker.receive()
    if msg == nil then return end
    worker.post(msg)
  end
]]
local echo = worker.spawn(ECHO)
local parentRate = perSecond(ROUND_TRIPS, function()
  for i = 1, ROUND_TRIPS do
    echo:post(i)
    echo:receive()
  end
end)
echo:post(nil)
echo:join()
report("round trips, program <-> worker (messages)", parentRate, "/s")

-- worker <-> worker: the same two workers, over a channel and then over TCP
local PINGER = [[
  local worker = require("tinn.worker")
  local net = require("tinn.net")
  local count, peer = worker.args.count, worker.args.peer
  local t0 = tinn.now()
  for i = 1, count do
    peer:post(i)
    peer:receive()
  end
  local viaChannel = count / ((tinn.now() - t0) / 1000)
  peer:post(nil)
  local port = worker.receive()
  local client = assert(net.tcp.connect("127.0.0.1", port))
  t0 = tinn.now()
  for i = 1, count do
    client:write(i .. "\n")
    client:read("l")
  end
  local viaTcp = count / ((tinn.now() - t0) / 1000)
  client:close()
  return viaChannel, viaTcp
]]
local ECHOER = [[
  local worker = require("tinn.worker")
  local net = require("tinn.net")
  local peer = worker.args.peer
  while true do
    local n = peer:receive()
    if n == nil then break end
    peer:post(n)
  end
  local server = assert(net.tcp.listen("127.0.0.1", 0))
  worker.post(server.port)
  local stream = server:accept()
  while true do
    local line = stream:read("l")
    if not line then break end
    stream:write(line .. "\n")
  end
  server:close()
]]
local a, b = worker.channel()
local pinger = worker.spawn(PINGER, { args = { count = ROUND_TRIPS, peer = a } })
local echoer = worker.spawn(ECHOER, { args = { peer = b } })
pinger:post(echoer:receive())
local viaChannel, viaTcp = pinger:join()
echoer:join()
report("round trips, worker <-> worker (channel)", viaChannel, "/s")
report("round trips, worker <-> worker (TCP loopback)", viaTcp, "/s",
  string.format("  channel/tcp = %.2fx", viaChannel / viaTcp))

-- one event loop talking to itself over TCP (no thread switch), for scale
local server = assert(net.tcp.listen("127.0.0.1", 0))
spawn(server.serve, server, function(stream)
  while true do
    local line = stream:read("l")
    if not line then return end
    stream:write(line .. "\n")
  end
end)
local client = assert(net.tcp.connect("127.0.0.1", server.port))
local oneLoop = perSecond(ROUND_TRIPS, function()
  for i = 1, ROUND_TRIPS do
    client:write(i .. "\n")
    client:read("l")
  end
end)
client:close()
server:close()
report("round trips, TCP loopback inside one event loop", oneLoop, "/s")

-- 1 MiB each way: a buffer that moves vs a string that is copied
local MIB, LARGE = 1024 * 1024, 2000
local bouncer = worker.spawn(ECHO)
local buf = worker.buffer(MIB)
local moveRate = perSecond(LARGE, function()
  for _ = 1, LARGE do
    bouncer:post(buf)
    buf = bouncer:receive()
  end
end)
local text = string.rep("x", MIB)
local copyRate = perSecond(LARGE, function()
  for _ = 1, LARGE do
    bouncer:post(text)
    text = bouncer:receive()
  end
end)
bouncer:post(nil)
bouncer:join()
report("1 MiB round trips, buffer (moved)", moveRate, "/s")
report("1 MiB round trips, string (copied)", copyRate, "/s",
  string.format("  moved/copied = %.2fx", moveRate / copyRate))

-- primes: the same count on 1 worker, then on one worker per core. Trial division costs more as
-- numbers grow, so the range is dealt out in blocks, round robin: worker k of W counts blocks
-- k, k + W, k + 2W, ... (halves of the range would give the last worker most of the work).
local COUNTER = [[
  local worker = require("tinn.worker")
  local a = worker.args
  local count = 0
  for first = (a.index - 1) * a.block + 1, a.limit, a.workers * a.block do
    for n = first, math.min(first + a.block - 1, a.limit) do
      local prime = n >= 2
      if n % 2 == 0 then prime = n == 2 end
      local d = 3
      while prime and d * d <= n do
        if n % d == 0 then prime = false end
        d = d + 2
      end
      if prime then count = count + 1 end
    end
  end
  return count
]]
local LIMIT, BLOCK = 6000000, 10000
local function primes(workers)
  local start = clock()
  local pool = {}
  for i = 1, workers do
    pool[i] = worker.spawn(COUNTER, { args = { index = i, workers = workers, block = BLOCK, limit = LIMIT } })
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
