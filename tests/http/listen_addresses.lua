-- Issue 20 item 1: http.serve binds through tinn.net's listen-address code, so its `host`
-- means what tcp.listen's does: `*` (every IPv4 interface), literals with or without brackets,
-- names resolved at once; a bad host fails with tcp.listen's message.
local http, net = require("tinn.http"), require("tinn.net")

local function hello(req, res) res:send("hello " .. req.path) end

for _, host in ipairs({ "*", "127.0.0.1", "localhost", "::1", "[::1]" }) do
  local server, err = http.serve{ host = host, port = 0, handler = hello }
  if not server then
    print(host, "not served:", err)
  else
    local target = (host == "::1" or host == "[::1]") and "[::1]" or "127.0.0.1"
    local reply = http.get(("http://%s:%d/x"):format(target, server.port), { timeout = 3000 })
    -- localhost may be either loopback address: its bound one is not printed
    print(host, host == "localhost" and "-" or server.host, reply and reply.body)
    server:close()
  end
end

local _, httpErr = http.serve{ host = "no such host.invalid", port = 0, handler = hello }
local _, tcpErr = net.tcp.listen("no such host.invalid", 0)
print("bad host:", httpErr ~= nil, httpErr == tcpErr)
