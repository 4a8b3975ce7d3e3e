-- tinn.dns against dnsmasq on 127.0.0.1 (started by tests/dns.rs, port in arg[1], zone
-- example.test): errors, sections, TCP fallback, 1,000 concurrent queries, the resolver's files.
local port = assert(tonumber(arg[1]), "usage: dnsmasq.lua port")
local dns = require("tinn.dns")
local DNSNameServer = require("DNSNameServer")
local ns = DNSNameServer("127.0.0.1", port)
local server = "127.0.0.1:" .. port

-- NXDOMAIN, with the zone's SOA in the authority section of the full message
local r, err, message = ns:A("nope.example.test")
assert(#r == 0 and r.err == "NXDOMAIN" and err == "NXDOMAIN", "NXDOMAIN, got " .. tostring(err))
assert(message.authority[1] and message.authority[1].type == "SOA", "SOA in the authority section")
print("nope.example.test", err, message.authority[1].mname, message.authority[1].minimum)

-- REFUSED: a name outside dnsmasq's zones, with no upstream server
r, err = ns:A("example.org")
assert(#r == 0 and err == "REFUSED", "REFUSED, got " .. tostring(err))
print("example.org", err)

-- NODATA: an empty list, the SOA still in the message
r, message = ns:MX("www.example.test")
assert(type(r) == "table" and #r == 0 and message.rcode == "NOERROR", "NODATA is an empty list")
print("www.example.test MX", #r, message.authority[1].type)

-- a CNAME chain: the list holds the asked type, the message both records
r, message = ns:A("alias.example.test")
assert(#r == 2 and r[1].type == "A", "A records of the CNAME's target")
assert(message.answers[1].type == "CNAME" and message.answers[1].target == "www.example.test", "CNAME in answers")
print("alias.example.test", message.answers[1].type, message.answers[1].target, #r)
r = ns:Query("alias.example.test", "ANY")
print("ANY keeps every answer record", #r)

-- the helpers
local function addresses(records)
  local list = {}
  for i, record in ipairs(records) do list[i] = record.address end
  table.sort(list)
  return table.concat(list, " ")
end
print("A", addresses(ns:A("www.example.test")))
print("AAAA", ns:AAAA("www.example.test")[1].address)
local mx = ns:MX("example.test")
table.sort(mx, function(a, b) return a.preference < b.preference end)
print("MX", mx[1].preference, mx[1].exchange, mx[2].preference, mx[2].exchange)
print("CNAME", ns:CNAME("alias.example.test")[1].target)
local srv = ns:SRV("_sip._tcp.example.test")[1]
print("SRV", srv.priority, srv.weight, srv.port, srv.target)
local txt = ns:TXT("example.test")[1]
print("TXT", txt.text, #txt.strings, txt.strings[1], txt.strings[2])
print("NS", ns:NS("example.test")[1].target)
local soa = ns:SOA("example.test")[1]
print("SOA", soa.mname, soa.rname, soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum)
print("PTR", ns:PTR("10.2.0.192.in-addr.arpa")[1].target)
print("type by number", ns:Query("www.example.test", 28)[1].type, ns:Query("example.test", "mx")[1].type)

-- more than 1232 bytes: dnsmasq truncates, tinn asks again over TCP
r, message = ns:A("big.example.test")
assert(#r == 120 and message.protocol == "tcp", "120 records over TCP, got " .. #r .. " over " .. message.protocol)
print("big.example.test", #r, message.protocol, ns:stats().truncated)

-- 1,000 queries at once, each in its own task; all must succeed
local names = { "www.example.test", "alias.example.test", "mail.example.test", "sip.example.test" }
local tasks, failures = {}, {}
local before = ns:stats()
for i = 1, 1000 do
  tasks[i] = spawn(function()
    local records, e = ns:A(names[i % #names + 1], 10000)
    if not records or #records == 0 then failures[#failures + 1] = tostring(e) end
  end)
end
for i = 1, 1000 do tasks[i]:join() end
assert(#failures == 0, #failures .. " of 1000 concurrent queries failed: " .. table.concat(failures, ", "))
local after = ns:stats()
print("1000 concurrent queries", after.answers - before.answers, "dropped", after.dropped)

-- the resolver with its own files: hosts first, then search and ndots through dnsmasq
local function writeFile(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end
local resolvPath, hostsPath = os.tmpname(), os.tmpname()
writeFile(resolvPath, "# test\nnameserver 127.0.0.1\nsearch example.test\noptions ndots:2 timeout:1 attempts:1\n")
writeFile(hostsPath, "192.0.2.99 fromhosts.example.test fh\n")
local res = dns.resolver({ resolvConf = resolvPath, hosts = hostsPath, nameservers = { server } })
local config = res:config()
print("config", config.nameservers[1] == server, config.search[1], config.ndots, config.timeout, config.attempts)
r = assert(res:resolve("fh"))
print("hosts", r[1].address, r[1].source, r[1].name)
r = assert(res:resolve("www"))
print("search", r[1].name, addresses(r))
r = assert(res:resolve("alias.example.test", "CNAME"))
print("as given (2 dots)", r[1].target)
r, err = res:resolve("fromhosts.example.test", "AAAA")
print("no AAAA in hosts: asks DNS", r, err)
print("reverse", res:reverse("192.0.2.10")[1], res:reverse("192.0.2.99")[1])
r, err = res:reverse("192.0.2.250")
print("reverse unknown", r and #r, err)
writeFile(hostsPath, "192.0.2.98 fromhosts.example.test fh # changed\n")
print("hosts re-read after a change", res:resolve("fh")[1].address)
os.remove(resolvPath)
os.remove(hostsPath)

-- 1,000 resolver lookups at once
failures = {}
for i = 1, 1000 do
  tasks[i] = spawn(function()
    local records, e = res:resolve(names[i % #names + 1], "A", 10000)
    if not records or #records == 0 then failures[#failures + 1] = tostring(e) end
  end)
end
for i = 1, 1000 do tasks[i]:join() end
assert(#failures == 0, #failures .. " of 1000 concurrent lookups failed: " .. table.concat(failures, ", "))
print("1000 concurrent resolver lookups")
