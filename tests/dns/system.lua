-- dns.resolve / dns.reverse through the system's files (localhost is in /etc/hosts), IP
-- literals, the system resolver's settings, and misuse raising at the caller's line.
local dns = require("tinn.dns")

local records = assert(dns.resolve("localhost"))
local found = false
for _, r in ipairs(records) do
  assert(r.source == "hosts" and r.ttl == 0, "hosts-file records say so")
  if r.address == "127.0.0.1" then found = true end
end
assert(found, "localhost is 127.0.0.1 in /etc/hosts")
print("localhost from /etc/hosts", found)
local v4 = assert(dns.resolve("LOCALHOST.", "A"))
assert(#v4 >= 1 and v4[1].type == "A", "A only, any case, trailing dot")

local names = assert(dns.reverse("127.0.0.1"))
local named = false
for _, name in ipairs(names) do if name:find("localhost") then named = true end end
print("127.0.0.1 reverses to localhost", named)

-- literals need no lookup
records = assert(dns.resolve("192.0.2.7"))
print("literal", #records, records[1].type, records[1].address, records[1].source)
records = assert(dns.resolve("::1", "A"))
print("IPv6 literal asked for A", #records)

local config = dns.system():config()
assert(type(config.nameservers[1]) == "string", "the system resolver has a nameserver")
print("system config", config.resolvConf, config.hosts, type(config.ndots), type(config.attempts))

-- misuse raises, pointing at this file
local function raises(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern), "error " .. tostring(err) .. " matches " .. pattern)
  print(tostring(err))
end
local DNSNameServer = require("DNSNameServer")
local ns = DNSNameServer("127.0.0.1", 53)
raises("system.lua:%d+: bad argument #1 to 'ns:A' %(name string expected, got number%)", function() local r = ns:A(5) return r end)
raises("system.lua:%d+: bad argument #2 to 'ns:Query' %(unknown record type 'BOGUS'%)", function() local r = ns:Query("x.test", "BOGUS") return r end)
raises("system.lua:%d+: bad argument #2 to 'ns:Query' %(unknown record type 70000%)", function() local r = ns:Query("x.test", 70000) return r end)
raises("system.lua:%d+: bad argument #3 to 'ns:Query' %(timeout must be", function() local r = ns:Query("x.test", "A", -1) return r end)
raises("system.lua:%d+: bad argument #1 to 'ns:A' %(invalid domain name", function() local r = ns:A(("a"):rep(64) .. ".test") return r end)
raises("system.lua:%d+: bad argument #1 to 'ns:A' %(name server expected", function() local r = ns.A("x.test") return r end)
raises("system.lua:%d+: bad argument #1 to 'DNSNameServer' %(server must be an IP address, got 'dns.example'%)", function() local r = DNSNameServer("dns.example") return r end)
raises("system.lua:%d+: bad argument #2 to 'DNSNameServer' %(port must be an integer 0%-65535, got 70000%)", function() local r = DNSNameServer("127.0.0.1", 70000) return r end)
raises("system.lua:%d+: bad argument #1 to 'dns.resolve' %(name string expected, got nil%)", function() local r = dns.resolve() return r end)
raises("system.lua:%d+: bad argument #2 to 'dns.resolve' %(unknown record type 'AA'%)", function() local r = dns.resolve("x.test", "AA") return r end)
raises("system.lua:%d+: bad argument #1 to 'dns.reverse' %(IP address expected, got 'nope'%)", function() local r = dns.reverse("nope") return r end)
raises("system.lua:%d+: bad argument #1 to 'dns.resolver' %(ndots must be an integer 0%-15, got 99%)", function() local r = dns.resolver({ ndots = 99 }) return r end)
raises("system.lua:%d+: bad argument #1 to 'dns.resolver' %(nameservers%[1%] must be a string, got number%)", function() local r = dns.resolver({ nameservers = { 53 } }) return r end)
raises("system.lua:%d+: bad argument #1 to 'dns.resolver' %(nameserver must be an IP address with an optional port, got 'x'%)", function() local r = dns.resolver({ nameservers = { "x" } }) return r end)
print("tinn.dns is require('tinn.dns')", tinn.dns == dns, require("DNSNameServer") == dns.DNSNameServer)
