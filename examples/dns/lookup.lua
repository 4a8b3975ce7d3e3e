-- lookup.lua: the TINN post's DNS demo. Each query runs in a task of its own, so the total
-- time is that of the slowest query, not the sum of them all.
--
--   tinn examples/dns/lookup.lua                  # the system's nameserver, some public names
--   tinn examples/dns/lookup.lua 127.0.0.1 5353 example.test www.example.test mail.example.test
--
-- Arguments: server, port, the domain whose MX and SRV records to show, the names to look up.
local DNSNameServer = require("DNSNameServer")
local StopWatch = require("StopWatch")

local server, port, domain = arg[1], tonumber(arg[2]), arg[3] or "gmail.com"
local names = { select(4, ...) }
if #names == 0 then
  names = { "www.luajit.org", "github.com", "www.wikipedia.org", "www.debian.org",
            "www.rust-lang.org", "news.ycombinator.com", "www.kernel.org", "lua.org" }
end

local ns = DNSNameServer(server, port) -- no server given: the system's first nameserver
print("asking " .. tostring(ns))

-- A records: one task per name, printed as each answer arrives
local sw = StopWatch()
local tasks = {}
for i, name in ipairs(names) do
  tasks[i] = spawn(function()
    local records, err = ns:A(name, 3000)
    if records.err then return print(("%-26s %s"):format(name, err)) end
    if #records == 0 then return print(("%-26s (no A records)"):format(name)) end
    for record in records do -- TINN's iteration; ipairs(records) works too
      print(("%-26s %-16s ttl %d"):format(name, record.address, record.ttl))
    end
  end)
end
for _, task in ipairs(tasks) do task:join() end
print(("%d A lookups at once: %.1f ms"):format(#names, sw:Milliseconds()))

-- MX and SRV records of the domain, also at once
sw:Reset()
local mx = spawn(function()
  local records, err = ns:MX(domain, 3000)
  if records.err then return print(("MX  %-22s %s"):format(domain, err)) end
  table.sort(records, function(a, b) return a.preference < b.preference end)
  for _, r in ipairs(records) do print(("MX  %-22s %3d %s"):format(domain, r.preference, r.exchange)) end
end)
local services = { "_sip._tcp." .. domain, "_imaps._tcp." .. domain }
local srv = {}
for i, service in ipairs(services) do
  srv[i] = spawn(function()
    local records, err = ns:SRV(service, 3000)
    if records.err then return print(("SRV %-22s %s"):format(service, err)) end
    for _, r in ipairs(records) do
      print(("SRV %-22s priority %d weight %d port %d %s"):format(service, r.priority, r.weight, r.port, r.target))
    end
  end)
end
mx:join()
for _, task in ipairs(srv) do task:join() end
print(("MX and SRV lookups at once: %.1f ms"):format(sw:Milliseconds()))
