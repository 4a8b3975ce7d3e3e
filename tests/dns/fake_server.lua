-- A hostile fake DNS server for the tinn.dns tests, on 127.0.0.1 only: UDP and TCP on one port.
-- It answers by the question's name (see BEHAVIOUR below) and records what it saw. The packets
-- are built by hand here, on purpose: the server must be able to lie in ways a codec would not.
local net = require("tinn.net")
local bit = require("bit")

local char, byte, floor = string.char, string.byte, math.floor

local function u16(n) return char(bit.band(bit.rshift(n, 8), 255), bit.band(n, 255)) end
local function u32(n) return u16(floor(n / 65536)) .. u16(n % 65536) end

-- A question section for `name` / `qtype`, class IN.
local function encodeQuestion(name, qtype)
  local parts = {}
  for label in name:gmatch("[^.]+") do parts[#parts + 1] = char(#label) .. label end
  return table.concat(parts) .. "\0" .. u16(qtype) .. u16(1)
end

local function parseQuery(data)
  if #data < 17 then return nil end
  local q = { id = byte(data, 1) * 256 + byte(data, 2), rd = bit.band(byte(data, 3), 1),
              arcount = byte(data, 11) * 256 + byte(data, 12) }
  local pos, labels = 13, {}
  while true do
    local len = byte(data, pos)
    if not len then return nil end
    if len == 0 then pos = pos + 1 break end
    labels[#labels + 1] = data:sub(pos + 1, pos + len)
    pos = pos + 1 + len
  end
  q.name = table.concat(labels, "."):lower()
  q.qtype = byte(data, pos) * 256 + byte(data, pos + 1)
  q.question = data:sub(13, pos + 3)
  q.additional = data:sub(pos + 4)
  -- EDNS0: one OPT record (root name, type 41) whose class is the advertised payload size
  if q.arcount == 1 and byte(q.additional, 1) == 0 and byte(q.additional, 2) * 256 + byte(q.additional, 3) == 41 then
    q.ednsPayload = byte(q.additional, 4) * 256 + byte(q.additional, 5)
  end
  return q
end

-- A response to `q`. opts: id, rcode, tc, question (raw section), addresses (IPv4 strings).
local function response(q, opts)
  opts = opts or {}
  local flags = 0x8000 + 0x0400 + (q.rd == 1 and 0x0100 or 0) + 0x0080 + (opts.tc and 0x0200 or 0) + (opts.rcode or 0)
  local answers = {}
  if q.qtype == 1 or opts.anyType then
    for _, ip in ipairs(opts.addresses or {}) do
      local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
      answers[#answers + 1] = "\192\12" .. u16(1) .. u16(1) .. u32(60) .. u16(4) .. char(a, b, c, d)
    end
  end
  return u16(opts.id or q.id) .. u16(flags) .. u16(1) .. u16(#answers) .. u16(0) .. u16(0)
    .. (opts.question or q.question) .. table.concat(answers)
end

local M = { encodeQuestion = encodeQuestion, response = response }

-- Starts a fake server on `host` (default 127.0.0.1). mode "servfail": every answer is
-- SERVFAIL. Returns an object with port, seen (list of {name, qtype, id, port, ednsPayload,
-- tcp}), hits[name], close().
-- How many slow.test queries the server holds before it answers them all.
local SLOW_BATCH = 20
M.SLOW_BATCH = SLOW_BATCH

function M.start(mode, host)
  host = host or "127.0.0.1"
  local udp, tcpServer
  for _ = 1, 20 do
    udp = assert(net.udp.bind(host, 0))
    tcpServer = net.tcp.listen(host, udp.port)
    if tcpServer then break end
    udp:close()
  end
  assert(tcpServer, "found a port free for both UDP and TCP")
  local spoofer = assert(net.udp.bind(host, 0))
  local fake = { port = udp.port, seen = {}, hits = {}, slowIds = {} }

  local function note(q, port, tcp)
    fake.seen[#fake.seen + 1] = { name = q.name, qtype = q.qtype, id = q.id, port = port, ednsPayload = q.ednsPayload, tcp = tcp }
    fake.hits[q.name] = (fake.hits[q.name] or 0) + 1
  end

  -- What the server does with a UDP query, by name.
  local function answerUdp(q, host, port)
    local function send(packet) udp:sendto(packet, host, port) end
    local name = q.name
    if mode == "servfail" then return send(response(q, { rcode = 2 })) end
    if name == "ok.test" then
      send(response(q, { addresses = { "192.0.2.1" } }))
    elseif name == "hostile.test" then
      -- everything a forger or a confused server might send, then the real answer
      send(response(q, { id = bit.bxor(q.id, 0x5555), addresses = { "6.6.6.1" } }))             -- wrong id
      send(response(q, { question = encodeQuestion("other.test", 1), addresses = { "6.6.6.2" } })) -- wrong question
      spoofer:sendto(response(q, { addresses = { "6.6.6.3" } }), host, port)                      -- wrong source port
      send(u16(q.id) .. "\129\128\0")                                                             -- malformed
      -- the truth only once the resolver has read every lie (the test says when: its stats)
      assert(waitFor(fake.liesRead, 2000), "the resolver reads the lies")
      send(response(q, { addresses = { "192.0.2.2" } }))
    elseif name == "truncated.test" then
      send(response(q, { tc = true, addresses = {} }))
    elseif name == "servfail.test" then
      send(response(q, { rcode = 2 }))
    elseif name == "nxdomain.test" then
      send(response(q, { rcode = 3 }))
    elseif name == "notimp.test" then
      send(response(q, { rcode = 4 }))
    elseif name == "refused.test" then
      send(response(q, { rcode = 5 }))
    elseif name == "nodata.test" then
      send(response(q, {}))
    elseif name == "silent.test" then
      -- never answers
    elseif name == "lossy.test" then
      if fake.hits[name] > 1 then send(response(q, { addresses = { "192.0.2.5" } })) end
    elseif name == "oldserver.test" then
      if q.arcount > 0 then
        send(response(q, { rcode = 1 })) -- FORMERR, and no OPT: it does not know EDNS
      else
        send(response(q, { addresses = { "192.0.2.4" } }))
      end
    elseif name == "garbage.test" then
      send(u16(q.id) .. "\129\128\0\1")
    elseif name == "slow.test" then
      -- held until SLOW_BATCH different queries wait at once: they are answered only if the
      -- client keeps them all in flight together (one after another, the first never is)
      fake.slowIds[q.id] = true
      waitFor(function()
        local n = 0
        for _ in pairs(fake.slowIds) do n = n + 1 end
        return n >= SLOW_BATCH
      end)
      send(response(q, { addresses = { "192.0.2.6" } }))
    else
      send(response(q, { rcode = 3 }))
    end
  end

  spawn(function()
    while true do
      local data, host, port = udp:receivefrom()
      if not data then return end -- closed
      local q = parseQuery(data)
      if q then
        note(q, port, false)
        spawn(answerUdp, q, host, port)
      end
    end
  end)

  -- TCP: length-prefixed; the truncated name gets its full answer here.
  spawn(function()
    tcpServer:serve(function(conn)
      while true do
        local prefix = conn:readExactly(2, 5000)
        if not prefix or #prefix < 2 then return end
        local data = conn:readExactly(byte(prefix, 1) * 256 + byte(prefix, 2), 5000)
        local q = data and parseQuery(data)
        if not q then return end
        note(q, nil, true)
        local addresses = { truncated_test = { "192.0.2.3" } }
        local packet = response(q, { addresses = addresses[q.name:gsub("%.", "_")] or { "192.0.2.1" } })
        conn:write(u16(#packet) .. packet)
      end
    end)
  end)

  function fake.close()
    udp:close()
    spoofer:close()
    tcpServer:close()
  end
  return fake
end

return M
