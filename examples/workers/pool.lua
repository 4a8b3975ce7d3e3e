-- A pool of workers, one per core, counting primes in ranges (a CPU-bound job) — then the same
-- jobs on one worker, to show the speed-up.
--
--   tinn examples/workers/pool.lua [limit]
local worker = require("tinn.worker")

local LIMIT = tonumber(arg[1]) or 4000000
local CHUNK = 100000

-- The worker: take {from, to} ranges until told to stop, post back how many primes each holds.
local COUNTER = [[
  local worker = require("tinn.worker")
  local function isPrime(n)
    if n < 2 then return false end
    if n % 2 == 0 then return n == 2 end
    for d = 3, math.floor(math.sqrt(n)), 2 do
      if n % d == 0 then return false end
    end
    return true
  end
  while true do
    local job = worker.receive()
    if job == "stop" then return end
    local count = 0
    for n = job.from, job.to do
      if isPrime(n) then count = count + 1 end
    end
    worker.post({ from = job.from, count = count })
  end
]]

--- Counts primes below `limit` with `size` workers; returns the count and the milliseconds taken.
local function countPrimes(limit, size)
  local started = tinn.now()
  local pool = {}
  for i = 1, size do pool[i] = worker.spawn(COUNTER, { name = "primes " .. i }) end
  local jobs = {}
  for from = 1, limit, CHUNK do jobs[#jobs + 1] = { from = from, to = math.min(from + CHUNK - 1, limit) } end
  -- Each worker gets one job at a time; the next goes to whichever worker answers first.
  local total, nextJob = 0, 1
  local collectors = {}
  for i, w in ipairs(pool) do
    collectors[i] = spawn(function()
      while nextJob <= #jobs do
        local job = jobs[nextJob]
        nextJob = nextJob + 1
        w:post(job)
        local reply = w:receive() -- suspends: read `total` only after it returns
        total = total + reply.count
      end
      w:post("stop")
      w:join()
    end)
  end
  for _, task in ipairs(collectors) do task:join() end
  return total, tinn.now() - started
end

local cores = worker.cpus()
-- Warm up first: the process's first run pays once for what later runs reuse (threads' first
-- stacks, the allocator's first pages, the CPU leaving its idle clock), which made the
-- one-worker baseline look ~25% slower and the speed-up more than the cores can give.
countPrimes(CHUNK * cores, cores)
local oneCount, oneMs = countPrimes(LIMIT, 1)
local allCount, allMs = countPrimes(LIMIT, cores)
assert(oneCount == allCount, "both runs agree")
print(string.format("primes below %d: %d", LIMIT, allCount))
print(string.format("1 worker: %.0f ms; %d workers: %.0f ms; speed-up %.2fx on %d cores",
  oneMs, cores, allMs, oneMs / allMs, cores))
