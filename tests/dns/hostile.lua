-- tinn.dns against a hostile fake server (tests/dns/fake_server.lua) on 127.0.0.1: lies are
-- dropped and counted, truncation is retried over TCP, silence times out, RCODEs map to errors.
local dns = require("tinn.dns")
local DNSNameServer = require("DNSNameServer")
local fakeServer = require("fake_server")

local fake = fakeServer.start()
local ns = DNSNameServer("127.0.0.1", fake.port)
assert(tostring(ns) == "DNSNameServer(127.0.0.1:" .. fake.port .. ")", "tostring names server and port: " .. tostring(ns))

-- a plain answer, with EDNS0 advertising 1232 bytes
local records, message = ns:A("ok.test")
assert(records and #records == 1 and records[1].address == "192.0.2.1", "ok.test answered")
assert(records[1].name == "ok.test" and records[1].type == "A" and records[1].ttl == 60, "record fields")
assert(message.rcode == "NOERROR" and message.protocol == "udp" and message.question.name == "ok.test", "message")
assert(fake.seen[1].ednsPayload == 1232, "EDNS0 payload 1232, got " .. tostring(fake.seen[1].ednsPayload))
print("plain answer", records[1].address)

-- lies: wrong id, wrong question, wrong source port, malformed; then the truth, which the fake
-- server sends once the resolver has dropped all four
fake.liesRead = function() return ns:stats().dropped >= 4 end
records = assert(ns:A("hostile.test"))
assert(#records == 1 and records[1].address == "192.0.2.2", "only the real answer is taken, got " .. tostring(records[1] and records[1].address))
local stats = ns:stats()
print("hostile answers dropped", stats.wrongId, stats.wrongQuestion, stats.wrongSource, stats.malformed, stats.dropped)

-- truncated over UDP: asked again over TCP
records, message = ns:A("truncated.test")
assert(records and records[1].address == "192.0.2.3", "truncated answer completed over TCP")
assert(message.protocol == "tcp", "the answer came over TCP")
print("truncated retried over tcp", ns:stats().truncated, ns:stats().tcp)

-- forced TCP
records, message = DNSNameServer("127.0.0.1", fake.port, { tcp = true }):A("ok.test")
assert(records and message.protocol == "tcp", "tcp option asks over TCP")

-- error RCODEs; NODATA is an empty list
for _, case in ipairs({ { "servfail.test", "SERVFAIL" }, { "nxdomain.test", "NXDOMAIN" },
                        { "refused.test", "REFUSED" }, { "notimp.test", "NOTIMP" } }) do
  local r, err, full = ns:A(case[1])
  assert(#r == 0 and r.err == case[2] and err == case[2], case[1] .. " gives " .. case[2] .. ", got " .. tostring(err))
  assert(type(full) == "table" and full.rcode == case[2], "the full message comes third")
  print(case[1], err)
end
-- issue 15.5: TINN's loop idiom runs zero times on a failed lookup
local iterations = 0
for _ in ns:A("nxdomain.test") do iterations = iterations + 1 end
print("for record in ns:A(nxdomain.test) ran", iterations, "times")
records = ns:A("nodata.test")
assert(type(records) == "table" and #records == 0, "NODATA is an empty list")
print("nodata.test", #records)

-- silence: nil, "timeout" at the deadline, after a retransmission
local before = fake.hits["silent.test"] or 0
local started = tinn.now()
local r, err = ns:A("silent.test", 600)
local took = tinn.now() - started
assert(#r == 0 and err == "timeout", "silence times out, got " .. tostring(err))
assert(took >= 550 and took < 2000, "timeout honoured, took " .. took)
assert(fake.hits["silent.test"] - before >= 2, "the query was sent again before giving up")
print("silent.test", err, "retransmitted", ns:stats().retransmits >= 1)

-- a lost query is sent again and answered
records = assert(ns:A("lossy.test", 2000))
assert(records[1].address == "192.0.2.5", "the retransmission is answered")
print("lossy.test answered after retransmit")

-- a server that does not know EDNS gets the question again without it
records = assert(ns:A("oldserver.test"))
assert(records[1].address == "192.0.2.4", "EDNS fallback")
print("oldserver.test answered without EDNS")

-- only garbage until the deadline
r, err = ns:A("garbage.test", 300)
assert(#r == 0 and err == "malformed response", "garbage gives malformed response, got " .. tostring(err))
print("garbage.test", err)

-- every query from its own random port with a random id
local ports, ids, n = {}, {}, 0
for _ = 1, 20 do assert(ns:A("ok.test")) end
for _, q in ipairs(fake.seen) do
  if q.name == "ok.test" and not q.tcp then
    n = n + 1
    ports[q.port] = true
    ids[q.id] = true
  end
end
local distinctPorts, distinctIds = 0, 0
for _ in pairs(ports) do distinctPorts = distinctPorts + 1 end
for _ in pairs(ids) do distinctIds = distinctIds + 1 end
assert(distinctPorts >= n - 2 and distinctIds >= n - 2, ("ports %d ids %d of %d queries"):format(distinctPorts, distinctIds, n))
print("random source ports and ids", distinctPorts >= n - 2, distinctIds >= n - 2)

-- concurrency: the server answers slow.test only once 20 different queries wait together
local tasks = {}
for i = 1, fakeServer.SLOW_BATCH do tasks[i] = spawn(function() return ns:A("slow.test") end) end
for i = 1, fakeServer.SLOW_BATCH do assert(tasks[i]:join()[1].address == "192.0.2.6", "slow answer " .. i) end
print("20 concurrent slow queries finish together")

-- TINN's iteration shape
local count = 0
for record in ns:A("ok.test") do count = count + 1 assert(record.address == "192.0.2.1", "iterated record") end
assert(count == 1, "for record in ns:A(name) iterates the records")

-- cancelling a task releases its query at once
local sent = fake.hits["silent.test"]
local waiting = spawn(function() return ns:A("silent.test", 10000) end)
waitFor(function() return fake.hits["silent.test"] > sent end) -- the query is on its way
waiting:cancel()
local a, b = waiting:join()
assert(a == nil and b == "cancelled", "cancelled query task")
print("cancelled query released")

-- the resolver: servers in turn, search list and ndots, SERVFAIL moves on
local silent = require("tinn.net").udp.bind("127.0.0.1", 0) -- never reads: a dead server
local servfailer = fakeServer.start("servfail")
local function resolver(opts)
  opts.resolvConf, opts.hosts = false, false
  opts.search = opts.search or {}
  return dns.resolver(opts)
end
local res = resolver({ nameservers = { "127.0.0.1:" .. silent.port, "127.0.0.1:" .. fake.port }, timeout = 400, attempts = 1 })
records = assert(res:resolve("ok.test", "A"))
assert(records[1].address == "192.0.2.1", "a dead first server is skipped")
print("dead server skipped", res:stats().timeouts)

res = resolver({ nameservers = { "127.0.0.1:" .. servfailer.port, "127.0.0.1:" .. fake.port } })
records = assert(res:resolve("ok.test", "A"))
assert(records[1].address == "192.0.2.1" and servfailer.hits["ok.test"] == 1, "SERVFAIL moves to the next server")
print("servfail server skipped")

local function namesAsked(since)
  local names = {}
  for i = since + 1, #fake.seen do names[#names + 1] = fake.seen[i].name end
  return table.concat(names, " ")
end
res = resolver({ nameservers = { "127.0.0.1:" .. fake.port }, search = { "nxdomain.test", "test" }, ndots = 1 })
local mark = #fake.seen
records = assert(res:resolve("ok", "A"))
assert(records[1].address == "192.0.2.1", "found through the search list")
print("search", namesAsked(mark))
mark = #fake.seen
assert(res:resolve("ok.test", "A"))
print("ndots 1", namesAsked(mark))
res = resolver({ nameservers = { "127.0.0.1:" .. fake.port }, search = { "nxdomain.test", "test" }, ndots = 2 })
mark = #fake.seen
assert(res:resolve("ok.test", "A"))
print("ndots 2", namesAsked(mark))
mark = #fake.seen
r, err = res:resolve("ok.test.", "A")
print("trailing dot", r and r[1].address, namesAsked(mark))
r, err = res:resolve("missing", "A")
print("missing", r, err)
r, err = resolver({ nameservers = { "127.0.0.1:" .. silent.port }, timeout = 200, attempts = 2 }):resolve("ok.test", "A")
print("dead server only", r, err)

-- IPv6: a server on ::1, over UDP and (truncated) TCP
local fake6 = fakeServer.start(nil, "::1")
local ns6 = DNSNameServer("::1", fake6.port)
records, message = assert(ns6:A("ok.test"))
assert(records[1].address == "192.0.2.1" and message.server == "[::1]:" .. fake6.port, "answer over IPv6")
records, message = assert(ns6:A("truncated.test"))
assert(records[1].address == "192.0.2.3" and message.protocol == "tcp", "TCP over IPv6")
print("IPv6 server", tostring(ns6) == "DNSNameServer([::1]:" .. fake6.port .. ")")
fake6.close()

silent:close()
servfailer.close()
fake.close()
print("done")
