-- ws_chat.lua: a WebSocket chat room. Each connection is a task; a line from anyone is a named
-- signal that one broadcaster task relays to everybody.
-- Run: tinn examples/http/ws_chat.lua [port], then connect two clients, e.g. with tinn:
--   tinn -e 'local ws = tinn.http.websocket("ws://127.0.0.1:8082/?name=ann") ws:send("hi") print(ws:receive())'
local http = require("tinn.http")
local members = {}

spawn(function()
  while true do
    local line = waitSignal("chat")
    for ws in pairs(members) do ws:send(line) end
  end
end)

local server = assert(http.serve{ port = tonumber(arg[1]) or 8082, handler = function(req, res)
  local ws, err = res:upgrade()
  if not ws then return res:status(400):send(err .. "\n") end
  local name = req.query.name or req.remoteAddress
  members[ws] = true
  signalAll("chat", name .. " joined")
  while true do
    local line = ws:receive()
    if not line then break end
    signalAll("chat", name .. ": " .. line)
  end
  members[ws] = nil
  signalAll("chat", name .. " left")
end })
print("listening on http://127.0.0.1:" .. server.port)
