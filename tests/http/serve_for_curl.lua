-- A server for tests/http.rs: prints its port, answers until it gets /quit.
local http = require("tinn.http")
local server
server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/quit" then
    res:send("bye")
    delay(function() server:close() end, 10)
  elseif req.path == "/gzip" then
    res:compress(true):header("content-type", "text/plain"):send(("compress me "):rep(200))
  elseif req.method == "POST" then
    res:send(("%s got %d bytes"):format(req.headers["content-type"] or "?", #req:body()))
  else
    res:header("x-served-by", "tinn"):send("hello curl " .. req.path)
  end
end })
print(server.port)
