-- Headers a handler sets reach the client however the response goes out (res:header's copy
-- kept in Rust, or the res.headers table): names lowercased, numbers as text, a header set
-- twice keeps its last value, a table put in place of res.headers wins over what was set before,
-- and what a handler writes into res.headers after res:header is sent too (added, changed, removed).
local http = require("tinn.http")

local server = assert(http.serve{ port = 0, handler = function(req, res)
  if req.path == "/set" then
    res:header("X-Twice", "first"):header("x-twice", "second"):header("X-Number", 42)
    res:send("set")
  elseif req.path == "/replaced" then
    res:header("x-gone", "1")
    res.headers = { ["x-table"] = "from the table" }
    res:send("replaced")
  elseif req.path == "/cleared" then
    res:header("x-gone", "1")
    res.headers = nil
    res:header("x-after", "2")
    res:send("cleared")
  elseif req.path == "/edited" then
    res:header("x-twice", "first"):header("x-gone", "1"):header("x-number", 1)
    res.headers["x-table"] = "added"
    res.headers["x-twice"] = "changed"
    res.headers["x-gone"] = nil
    res:send("edited")
  elseif req.path == "/changed" then
    res:header("x-twice", "first")
    res.headers["x-twice"] = "changed"
    res:send("changed")
  elseif req.path == "/json" then
    res:json({ ok = true })
  else
    res:status(204):send()
  end
end })
local url = "http://127.0.0.1:" .. server.port

local function show(path)
  local r = assert(http.get(url .. path, { timeout = 5000 }))
  local h = r.headers
  print(path, r.status, r.body, h["x-twice"], h["x-number"], h["x-gone"], h["x-table"], h["x-after"], h["content-type"])
end
for _, path in ipairs({ "/set", "/replaced", "/cleared", "/edited", "/changed", "/json", "/none" }) do show(path) end
server:close()
