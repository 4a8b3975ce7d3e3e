-- HTTP/2 servers for tests/http2.rs (arguments: the folder holding the test CA's files, and how
-- many /barrier requests must be in flight at once before any is answered). Prints the ports
-- of an HTTPS server (h2 by ALPN), of a plain one speaking h2c and of an HTTPS one with
-- http2 = false, what its own client gets from the first two, then serves until /quit.
local http = require("tinn.http")
local dir, barrier = arg[1], tonumber(arg[2])
local function file(name) return dir .. "/" .. name end

local arrived, chunksWritten = 0, 0
local secure, plain, http1Only
local function handler(req, res)
  if req.path == "/barrier" then
    -- no answer until `barrier` requests are here: only streams that run at once get through
    arrived = arrived + 1
    if arrived % barrier == 0 then
      signalAll("barrier", true)
    elseif not waitSignal("barrier", 5000) then
      return res:status(503):send("barrier timed out\n")
    end
    res:send("through\n")
  elseif req.path == "/big" then
    -- 100 MiB for a client that never reads: the writes must stall, not pile up
    local chunk = string.rep("x", 64 * 1024)
    for _ = 1, 1600 do
      if not res:write(chunk, 30000) then break end
      chunksWritten = chunksWritten + 1
    end
  elseif req.path == "/ws" then
    res:send(select(2, res:upgrade()) .. "\n")
  elseif req.path == "/written" then
    res:send(tostring(chunksWritten))
  elseif req.path == "/slow" then
    sleep(300)
    res:send("slow done\n")
  elseif req.path == "/drain" then
    plain:close{ drainMs = 3000 }
    res:send("draining\n")
  elseif req.path == "/quit" then
    res:send("bye\n")
    delay(function() secure:close() plain:close() http1Only:close() end, 10)
  else
    res:send(("hello %s %s\n"):format(req.version, req.path))
  end
end

secure = assert(http.serve{ port = 0, handler = handler, tls = { cert = file("a.pem"), key = file("a.key") } })
plain = assert(http.serve{ port = 0, handler = handler, http2 = true, idleTimeoutMs = 500 })
http1Only = assert(http.serve{ port = 0, handler = handler, http2 = false, tls = { cert = file("a.pem"), key = file("a.key") } })
print(secure.port, plain.port, http1Only.port)
-- tinn's client takes HTTP/2 when the server offers it by ALPN, HTTP/1.1 over plain http
for _, url in ipairs{ ("https://localhost:%d/self"):format(secure.port), ("http://127.0.0.1:%d/self"):format(plain.port) } do
  local r = assert(http.get(url, { ca = file("ca.pem"), timeout = 5000 }))
  print("client", r.version, (r.body:gsub("\n$", "")))
end
print("bad option", pcall(http.serve, { port = 0, handler = handler, http2 = "yes" }))
io.stdout:flush()
