-- A client that closes its sending side after its request (shutdown(SHUT_WR), as `nc -N` and
-- some HTTP/1.0 clients do) still gets the response. Before, hyper took the end of stream it
-- read while the handler ran for a client gone and dropped the connection: the client read
-- nothing. (The server no longer reads while a handler runs, a read a request cost before.)
local http, net = require("tinn.http"), require("tinn.net")

local server = assert(http.serve{ port = 0, handler = function(req, res)
  sleep(50) -- the client's end of stream arrives while the handler runs
  res:send("late " .. req.path)
end })

local conn = assert(net.tcp.connect("127.0.0.1", server.port, { timeout = 2000 }))
assert(conn:write("GET /answer HTTP/1.1\r\nHost: x\r\n\r\n"))
assert(conn:shutdown())
print(conn:read("l"))
local reply = conn:read("a")
print(reply and reply:match("\r\n\r\n(.*)$"))
conn:close()
server:close()
