-- Prints what tinn.dns answers for each question given as arguments (port, then name/type
-- pairs), one line per record, in dig's column form rebuilt from the record's fields:
--   <qname> <qtype>|<owner.> <ttl> <type> <data>
-- tests/dns.rs compares these lines with `dig +noall +answer` for the same questions.
local port = assert(tonumber(arg[1]), "usage: dig.lua port name type ...")
local ns = require("DNSNameServer")("127.0.0.1", port)

local function fqdn(name) return name .. "." end
local function quoted(s) return '"' .. s:gsub('[\\"]', "\\%0") .. '"' end

local format = {
  A = function(r) return r.address end,
  AAAA = function(r) return r.address end,
  MX = function(r) return r.preference .. " " .. fqdn(r.exchange) end,
  SRV = function(r) return ("%d %d %d %s"):format(r.priority, r.weight, r.port, fqdn(r.target)) end,
  TXT = function(r)
    local parts = {}
    for i, s in ipairs(r.strings) do parts[i] = quoted(s) end
    assert(r.text == table.concat(r.strings), "text is the strings joined")
    return table.concat(parts, " ")
  end,
  CNAME = function(r) return fqdn(r.target) end,
  NS = function(r) return fqdn(r.target) end,
  PTR = function(r) return fqdn(r.target) end,
  SOA = function(r)
    return ("%s %s %d %d %d %d %d"):format(fqdn(r.mname), fqdn(r.rname), r.serial, r.refresh, r.retry, r.expire, r.minimum)
  end,
}

for i = 2, #arg, 2 do
  local name, qtype = arg[i], arg[i + 1]
  local records, err = ns:Query(name, qtype)
  if not records then
    print(("%s %s|error %s"):format(name, qtype, err))
  else
    for _, r in ipairs(records) do
      local data = assert(format[r.type], "a format for " .. r.type)(r)
      assert(data == r.data, ("record.data %q matches the fields %q"):format(r.data, data))
      assert(r.class == "IN", "class IN")
      print(("%s %s|%s %d %s %s"):format(name, qtype, fqdn(r.name), r.ttl, r.type, data))
    end
  end
end
