-- An HTTPS server for tests/http.rs (argument: the folder holding the test CA's files). Prints
-- its port, checks bad tls options and its own client, then serves until /quit. /reload calls
-- server:reload(); SIGHUP reloads as well.
local http = require("tinn.http")
local dir = arg[1]
local function file(name) return dir .. "/" .. name end
local function read(name)
  local f = assert(io.open(file(name), "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local server
server = assert(http.serve{ port = 0, headerTimeoutMs = 500,
  tls = {
    { cert = file("a.pem"), key = file("a.key") },                      -- by its own names (localhost)
    { cert = read("b.pem"), key = read("b.key"), names = { "b.test" } }, -- PEM text, named
  },
  handler = function(req, res)
    if req.path == "/ws" then
      local ws = assert(res:upgrade())
      local text = ws:receive(5000)
      ws:send("echo over TLS: " .. tostring(text))
    elseif req.path == "/reload" then
      local ok, err = server:reload()
      res:send(("reload %s %s\n"):format(tostring(ok), tostring(err)))
    elseif req.path == "/quit" then
      res:send("bye\n")
      delay(function() server:close() end, 10)
    else
      res:send("hello tls " .. req.path .. "\n")
    end
  end })
print(server.port)
print(tostring(server):gsub("%d+%)$", "PORT)"))

local function serve(tls) return http.serve{ port = 0, handler = function() end, tls = tls } end
print("mismatched key", serve{ cert = file("a.pem"), key = file("b.key") })
print("missing file", serve{ cert = file("nope.pem"), key = file("a.key") })
print("not PEM", serve{ cert = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", key = file("a.key") })
print("no key", serve{ cert = file("a.pem"), key = file("a.pem") })
print("bad option", pcall(serve, { cert = file("a.pem") }))

local r, err = http.get(("https://localhost:%d/self"):format(server.port), { ca = file("ca.pem"), timeout = 5000 })
print("own client", r and r.status, r and r.body or err)
local untrusted, why = http.get(("https://localhost:%d/self"):format(server.port), { timeout = 5000 })
print("own client without the CA", untrusted, why and why:find("UnknownIssuer", 1, true) ~= nil)

local ws, wsErr = http.websocket(("wss://localhost:%d/ws"):format(server.port), { ca = file("ca.pem"), timeout = 5000 })
assert(ws, wsErr)
ws:send("hello")
print("wss", ws:receive(5000))
ws:close()
print("wss without the CA", http.websocket(("wss://localhost:%d/ws"):format(server.port), { timeout = 5000 }))
