-- WebSockets: echo, binary messages, a broadcast to several clients woken by a signal, close
-- codes, a client that vanishes mid-conversation, and a request that is not a handshake.
local http, net = require("tinn.http"), require("tinn.net")
local clients = {}
local server = assert(http.serve{ port = 0, handler = function(req, res)
  local ws, err = res:upgrade()
  if not ws then return res:status(400):send(err) end
  if req.path == "/echo" then
    while true do
      local data, kind = ws:receive()
      if not data then return end
      ws:send(kind == "binary" and { binary = data } or "echo: " .. data)
    end
  elseif req.path == "/chat" then
    clients[#clients + 1] = ws
    local name = req.query.name
    while true do
      local line = ws:receive()
      if not line then signalAll("chat", name .. " left") return end
      signalAll("chat", name .. ": " .. line)
    end
  end
end })
local base = ("ws://127.0.0.1:%d"):format(server.port)

local ws = assert(http.websocket(base .. "/echo", { timeout = 2000 }))
ws:send("hello")
print(ws:receive(2000))
ws:send({ binary = "\0\1\2" })
local data, kind = ws:receive(2000)
print(#data, kind, data == "\0\1\2")
print("timeout", ws:receive(20))
ws:close(1000, "done")
print("after close", ws:receive())

-- chat: every line any client sends reaches every client
spawn(function()
  while true do
    local line = waitSignal("chat")
    for _, client in ipairs(clients) do client:send(line) end
  end
end)
local alice = assert(http.websocket(base .. "/chat?name=alice"))
local bob = assert(http.websocket(base .. "/chat?name=bob"))
waitFor(function() return #clients == 2 end, 2000)
alice:send("hi bob")
print("alice sees", alice:receive(2000))
print("bob sees", bob:receive(2000))
-- a client that vanishes without a close frame (its socket dropped, as when a process dies):
-- the server notices and the others hear of it
bob.handle = nil
collectgarbage() collectgarbage()
print("alice hears", alice:receive(2000))
alice:close()
print("not a handshake", http.get("http://127.0.0.1:" .. server.port .. "/echo").body)
print("bad url", http.websocket("http://127.0.0.1/"))
server:close()
