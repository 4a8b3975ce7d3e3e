-- DNS benchmark (DESIGN §6): 1,000 queries at once, each in its own task, against the same
-- 1,000 one after another, to the server on 127.0.0.1:arg[1] (dnsmasq, or dns_delay.lua in
-- front of it). The TINN promise: the total time at once is about that of the slowest query.
local port = assert(tonumber(arg[1]), "usage: tinn bench/dns.lua port [label]")
local label = arg[2] or ("127.0.0.1:" .. port)
local ns = require("DNSNameServer")("127.0.0.1", port)
local QUERIES = 1000
local names = { "www.example.test", "mail.example.test", "sip.example.test", "alias.example.test" }

-- wait until the server answers (it may have just started)
local deadline = tinn.now() + 5000
while not ns:A(names[1], 200) do
  if tinn.now() > deadline then error("no answer from 127.0.0.1:" .. port) end
end

local function at_once()
  local started, failed, tasks = tinn.now(), 0, {}
  for i = 1, QUERIES do
    tasks[i] = spawn(function()
      if not ns:A(names[i % #names + 1], 10000) then failed = failed + 1 end
    end)
  end
  for i = 1, QUERIES do tasks[i]:join() end
  return tinn.now() - started, failed
end

local function one_after_another()
  local started, failed, times = tinn.now(), 0, {}
  for i = 1, QUERIES do
    local t = tinn.now()
    if not ns:A(names[i % #names + 1], 10000) then failed = failed + 1 end
    times[i] = tinn.now() - t
  end
  table.sort(times)
  return tinn.now() - started, failed, times[math.floor(#times / 2) + 1], times[#times]
end

at_once() -- warm up the JIT and the server
local together, failedTogether = at_once()
local sequential, failedSequential, median, slowest = one_after_another()
print(("%-24s %d queries at once %8.1f ms | one after another %8.1f ms | ratio %6.1fx | one query: median %.2f ms, slowest %.2f ms%s"):format(
  label, QUERIES, together, sequential, sequential / together, median, slowest,
  (failedTogether + failedSequential > 0) and (" | FAILED " .. (failedTogether + failedSequential)) or ""))
