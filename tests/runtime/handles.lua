-- The methods every closable handle shares (net, http, process; tinn.handle): tostring names
-- the handle and its address; isClosed() is false while open, true after close(), which may be
-- called twice; settimeout checks its argument.
local net, http, process = require("tinn.net"), require("tinn.http"), require("tinn.process")

local function show(label, handle)
  print(label, (tostring(handle):gsub(":%d+([/)])", ":PORT%1")))
  local before = handle:isClosed()
  handle:close()
  handle:close()
  print(label, before, handle:isClosed())
end

local server = assert(net.tcp.listen("127.0.0.1", 0))
local accepted = spawn(function() return server:accept(2000) end)
local client = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
show("tcp stream (accepted)", assert(accepted:join()))
show("tcp stream (connected)", client)
show("tcp server", server)
show("udp socket", assert(net.udp.bind("127.0.0.1", 0)))
show("udp socket (IPv6)", assert(net.udp.bind("::1", 0)))


local web = assert(http.serve{ port = 0, handler = function(_, res)
  local socket = assert(res:upgrade())
  socket:receive(2000) -- until the client closes
end })
local ws = assert(http.websocket("ws://127.0.0.1:" .. web.port .. "/", { timeout = 2000 }))
show("websocket (client)", ws)
show("http server", web)

local cat = assert(process.spawn{ cmd = "cat", stdin = "pipe", stdout = "pipe", stderr = "pipe" })
show("process stdin", cat.stdin)
show("process stdout", cat.stdout)
show("process stderr", cat.stderr)
print("cat exited with", cat:wait(2000))
local socket = assert(net.udp.bind("127.0.0.1", 0))
socket:settimeout(10)
print("settimeout", socket:receivefrom())
print(pcall(socket.settimeout, socket, -5))
print(pcall(cat.stdout.settimeout, cat.stdout, "soon"))
socket:close()
