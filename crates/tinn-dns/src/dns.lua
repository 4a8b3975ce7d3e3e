-- tinn.dns: DNS queries that suspend only the calling task (DESIGN.md §4, docs/dns.md).
--
--   local dns = require("tinn.dns")
--   local ns = dns.DNSNameServer("127.0.0.1", 53)          -- or require("DNSNameServer")(...)
--   for _, r in ipairs(assert(ns:A("example.com"))) do print(r.name, r.address, r.ttl) end
--   local records, err = dns.resolve("localhost")          -- /etc/hosts, then resolv.conf
--
-- dns.resolve returns a list of record tables, or nil and "NXDOMAIN", "SERVFAIL", "REFUSED",
-- "timeout", "malformed response" or an OS error naming the address. A name server's lookups
-- (TINN's API) return an empty list instead of nil on failure, its `err` field and the second
-- value the error, so `for record in ns:A(name) do` runs zero times. A name with no records
-- of the type asked for (NODATA) gives an empty list and the message. Misuse raises at the
-- caller's line.

local native = ...
local reactor = require("tinn.reactor")
local check = require("tinn.check")

local await = reactor.await
local type, tostring, setmetatable, getmetatable, floor = type, tostring, setmetatable, getmetatable, math.floor
local format = string.format
local argError, checkTimeout, checkPort = check.argError, check.timeout, check.port

local DNS_PORT = 53

-- Rust enforces each query's own deadline (and counts the timeout); the task's wait gets this
-- much more, as a backstop, so the answer Rust gives at the deadline is the one the task sees.
local BACKSTOP_MS = 250

local function backstop(ms)
  if ms == nil then return nil end
  return ms + BACKSTOP_MS
end

---------------------------------------------------------------------------------------------------
-- Record lists
---------------------------------------------------------------------------------------------------

-- A list of records is a plain array (`#list`, `ipairs`), and also its own iterator, so TINN
-- scripts' `for record in ns:A(name) do ... end` works unchanged.
local RecordList = {}

function RecordList.__call(list, _, previous)
  if previous == nil then return list[1] end
  for i = 1, #list do
    if list[i] == previous then return list[i + 1] end
  end
  return nil
end

local function recordList(list)
  return setmetatable(list, RecordList)
end

-- A failed lookup still hands back a list (empty, with the error in `err`), so TINN's
-- `for record in ns:A(name) do` runs zero times instead of calling nil.
local function failedList(err)
  return setmetatable({ err = err }, RecordList)
end

-- A record type given as a mnemonic ("MX", any case) or a number; returns its code.
local function recordType(rtype, n, fname)
  local code, message = native.recordType(rtype)
  if not code then argError(n, fname, message, 1) end
  return code
end

local function checkName(name, n, fname)
  if type(name) ~= "string" then argError(n, fname, "name string expected, got " .. type(name), 1) end
end

local function hostPort(host, port)
  if host:find(":", 1, true) then return format("[%s]:%d", host, port) end
  return format("%s:%d", host, port)
end

---------------------------------------------------------------------------------------------------
-- Name servers (TINN's DNSNameServer)
---------------------------------------------------------------------------------------------------

local NameServer = {}
NameServer.__index = NameServer

local function checkSelf(self, fname)
  if getmetatable(self) ~= NameServer then
    argError(1, fname, "name server expected (call it with ':'), got " .. type(self), 1)
  end
end

-- The one query path behind ns:Query and the helpers; they tail-call it, so its argument
-- errors point at the script's line.
local function query(self, name, rtype, timeoutMs, fname, typeArg)
  checkSelf(self, fname)
  checkName(name, 1, fname)
  local code = recordType(rtype, typeArg, fname)
  checkTimeout(timeoutMs, typeArg + 1, fname)
  local ms = timeoutMs or self.timeout
  local records, err, message = await(backstop(ms),
    self.handle:query(name, code, ms, self.tcp, self.recursion, self.edns))
  if records == false then argError(1, fname, err) end
  if records then return recordList(records), err end
  return failedList(err), err, message
end

--- ns:Query(name [, type [, timeoutMs]]) -> records, message | emptyRecords, err [, message]
--- `type` is a mnemonic ("A", "MX", ...) or a number; nil means "A". The list holds the answer records of that
--- type ("ANY" keeps all); `message` is the whole answer (header, question, answers,
--- authority, additional, edns, server, protocol, elapsed).
function NameServer:Query(name, rtype, timeoutMs)
  if rtype == nil then rtype = "A" end -- TINN's default
  return query(self, name, rtype, timeoutMs, "ns:Query", 2)
end

-- ns:A(name [, timeoutMs]), ns:AAAA, ns:MX, ns:CNAME, ns:SRV, ns:TXT, ns:NS, ns:PTR, ns:SOA
for _, rtype in ipairs({ "A", "AAAA", "MX", "CNAME", "SRV", "TXT", "NS", "PTR", "SOA" }) do
  local fname = "ns:" .. rtype
  NameServer[rtype] = function(self, name, timeoutMs)
    return query(self, name, rtype, timeoutMs, fname, 2)
  end
end

--- ns:stats() -> {queries, answers, timeouts, errors, retransmits, truncated, tcp, dropped,
--- wrongId, wrongSource, wrongQuestion, malformed}
function NameServer:stats()
  checkSelf(self, "ns:stats")
  return self.handle:stats()
end

--- ns:settimeout(ms | nil) sets the default timeout of this server's queries (nil: 5000 ms).
function NameServer:settimeout(ms)
  checkSelf(self, "ns:settimeout")
  checkTimeout(ms, 1, "ns:settimeout")
  self.timeout = ms
end

function NameServer:__tostring()
  return "DNSNameServer(" .. hostPort(self.server, self.port) .. ")"
end

--- DNSNameServer([server [, port]] [, {timeout, tcp, recursion, edns}]) -> ns
--- `server` is an IP address (default: the system's first nameserver); port 53 by default.
local function newNameServer(server, port, opts)
  local fname = "DNSNameServer"
  if type(server) == "table" and port == nil and opts == nil then server, opts = nil, server end
  if type(port) == "table" and opts == nil then port, opts = nil, port end
  if server == nil then
    local host, systemPort = native.systemNameServer()
    server, port = host, port or systemPort
  end
  if type(server) ~= "string" then argError(1, fname, "server address string expected, got " .. type(server)) end
  if port == nil then port = DNS_PORT end
  checkPort(port, 2, fname)
  if opts ~= nil and type(opts) ~= "table" then argError(3, fname, "options table expected, got " .. type(opts)) end
  opts = opts or {}
  checkTimeout(opts.timeout, 3, fname)
  local handle, err = native.nameServer(server, port)
  if not handle then argError(1, fname, err) end
  local host, boundPort = handle:address()
  return setmetatable({
    handle = handle, server = host, port = boundPort, timeout = opts.timeout,
    tcp = opts.tcp == true, recursion = opts.recursion ~= false, edns = opts.edns ~= false,
  }, NameServer)
end

--- DNSNameServer:create(server [, port [, opts]]) -> ns   (TINN's spelling)
function NameServer.create(_, ...)
  return newNameServer(...)
end

setmetatable(NameServer, { __call = function(_, ...) return newNameServer(...) end })

---------------------------------------------------------------------------------------------------
-- The resolver: /etc/hosts, then /etc/resolv.conf's nameservers
---------------------------------------------------------------------------------------------------

local Resolver = {}
Resolver.__index = Resolver

local function wrapResolver(handle)
  return setmetatable({ handle = handle }, Resolver)
end

local function resolve(self, name, rtype, timeoutMs, fname)
  checkName(name, 1, fname)
  local code = nil
  if rtype ~= nil then code = recordType(rtype, 2, fname) end
  checkTimeout(timeoutMs, 3, fname)
  local records, err = await(backstop(timeoutMs), self.handle:resolve(name, code, timeoutMs))
  if records == false then argError(1, fname, err) end
  if records then return recordList(records) end
  return nil, err
end

local function reverse(self, ip, timeoutMs, fname)
  if type(ip) ~= "string" then argError(1, fname, "IP address string expected, got " .. type(ip)) end
  checkTimeout(timeoutMs, 2, fname)
  local names, err = await(backstop(timeoutMs), self.handle:reverse(ip, timeoutMs))
  if names == false then argError(1, fname, err) end
  return names, err
end

--- resolver:resolve(name [, type [, timeoutMs]]) -> records | nil, err
--- Without a type, A and AAAA records (IPv4 first). Hosts-file answers carry source = "hosts".
function Resolver:resolve(name, rtype, timeoutMs)
  return resolve(self, name, rtype, timeoutMs, "resolver:resolve")
end

--- resolver:reverse(ip [, timeoutMs]) -> names | nil, err   (hosts file, then PTR)
function Resolver:reverse(ip, timeoutMs)
  return reverse(self, ip, timeoutMs, "resolver:reverse")
end

--- resolver:config() -> {nameservers, search, ndots, timeout, attempts, rotate, resolvConf, hosts}
function Resolver:config() return self.handle:config() end

--- resolver:stats() -> the counters of ns:stats(), summed over every server asked
function Resolver:stats() return self.handle:stats() end

function Resolver:__tostring()
  return "DNSResolver(" .. table.concat(self.handle:config().nameservers, ", ") .. ")"
end

local function stringList(value, n, fname, field)
  if value == nil then return nil end
  if type(value) == "string" then value = { value } end
  if type(value) ~= "table" then argError(n, fname, field .. " must be a list of strings, got " .. type(value), 1) end
  local list = {}
  for i, item in ipairs(value) do
    if type(item) ~= "string" then
      argError(n, fname, format("%s[%d] must be a string, got %s", field, i, type(item)), 1)
    end
    list[i] = item
  end
  return list
end

local function pathOption(value, n, fname, field)
  if value == nil or value == false or type(value) == "string" then return value end
  argError(n, fname, field .. " must be a path or false, got " .. type(value), 1)
end

local function integerOption(value, low, high, n, fname, field)
  if value == nil then return nil end
  if type(value) ~= "number" or value ~= floor(value) or value < low or value > high then
    argError(n, fname, format("%s must be an integer %d-%d, got %s", field, low, high, tostring(value)), 1)
  end
  return value
end

--- dns.resolver([{nameservers, search, ndots, timeout, attempts, resolvConf, hosts}]) -> resolver
--- Options win over the files; `resolvConf` / `hosts` name other files (false: none).
--- Nameservers are IP addresses, with a port if not 53: "127.0.0.1:5353", "[::1]:5353".
local function newResolver(opts)
  local fname = "dns.resolver"
  if opts ~= nil and type(opts) ~= "table" then argError(1, fname, "options table expected, got " .. type(opts)) end
  opts = opts or {}
  checkTimeout(opts.timeout, 1, fname)
  local handle, err = native.resolver(
    pathOption(opts.resolvConf, 1, fname, "resolvConf"),
    pathOption(opts.hosts, 1, fname, "hosts"),
    stringList(opts.nameservers, 1, fname, "nameservers"),
    stringList(opts.search, 1, fname, "search"),
    integerOption(opts.ndots, 0, 15, 1, fname, "ndots"),
    opts.timeout,
    integerOption(opts.attempts, 1, 5, 1, fname, "attempts"))
  if not handle then argError(1, fname, err) end
  return wrapResolver(handle)
end

local systemResolver

local function system()
  if not systemResolver then systemResolver = wrapResolver(native.systemResolver()) end
  return systemResolver
end

--- dns.resolve(name [, type [, timeoutMs]]) -> records | nil, err
--- /etc/hosts first (for addresses), then the nameservers, search list, ndots, timeout and
--- attempts of /etc/resolv.conf. Without a type: A and AAAA records.
local function dnsResolve(name, rtype, timeoutMs)
  return resolve(system(), name, rtype, timeoutMs, "dns.resolve")
end

--- dns.reverse(ip [, timeoutMs]) -> names | nil, err
local function dnsReverse(ip, timeoutMs)
  return reverse(system(), ip, timeoutMs, "dns.reverse")
end

return {
  DNSNameServer = NameServer,
  NameServer = NameServer,
  resolve = dnsResolve,
  reverse = dnsReverse,
  resolver = newResolver,
  system = system,
}
