-- tinn's HTTP server and client together: routes, query, case-insensitive headers, bodies,
-- JSON, streaming, defaults, handler errors (500, server keeps going) and keep-alive reuse.
local http = require("tinn.http")
local json = require("tinn.json")
local peers = {}
local server = assert(http.serve{ port = 0, handler = function(req, res)
  peers[#peers + 1] = req.remotePort
  if req.path == "/hello" then
    res:header("Content-Type", "text/plain"):send("hello " .. (req.query.name or "?"))
  elseif req.path == "/headers" then
    res:send(req.headers["X-Custom"] .. " " .. req.headers["x-custom"] .. " " .. req.version)
  elseif req.path == "/echo" then
    res:status(201):header("x-method", req.method):send(req:body())
  elseif req.path == "/json" then
    res:json({ list = req.query.v, ok = true })
  elseif req.path == "/stream" then
    for i = 1, 3 do res:write(("part %d;"):format(i)) sleep(2) end
  elseif req.path == "/empty" then
    res:status(204)
  elseif req.path == "/boom" then
    error("handler exploded")
  else
    res:status(404):send("no route for " .. req.path)
  end
end })
local base = ("http://127.0.0.1:%d"):format(server.port)
local function show(r, err)
  if not r then return print("error", err) end
  print(r.status, r.body, r.headers["Content-Type"] or "-")
end
show(http.get(base .. "/hello?name=tinn%20user"))
show(http.request{ url = base .. "/headers", headers = { ["X-Custom"] = "yes" } })
show(http.request{ url = base .. "/echo", method = "put", body = "sent body" })
local r = http.get(base .. "/json?v=1&v=2")
print(r.status, json.encode(json.decode(r.body), { sortKeys = true }), r.headers["content-type"])
r = http.get(base .. "/stream")
print(r.status, r.body, r.headers["transfer-encoding"])
show(http.get(base .. "/empty"))
show(http.get(base .. "/boom"))
show(http.get(base .. "/missing"))
-- every request above came over one kept-alive connection
local reused = true
for i = 2, #peers do reused = reused and peers[i] == peers[1] end
print("requests", #peers, "one connection", reused)
print(tostring(server):match("^HttpServer%(http://127%.0%.0%.1:%d+%)$") ~= nil)
server:close()
local gone, err = http.get(base .. "/hello", { timeout = 2000 })
print("after close", gone, err ~= nil)
