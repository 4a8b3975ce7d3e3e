-- compress = true: text-like responses are compressed, brotli preferred to gzip, for clients
-- that accept it (whole and streamed); images, small bodies, res:compress(false) are not;
-- tinn's client decodes both.
local http = require("tinn.http")
local text = string.rep("hello compressible world ", 100) -- 2500 bytes
local server = assert(http.serve{ port = 0, compress = true, handler = function(req, res)
  if req.path == "/text" then res:header("content-type", "text/plain"):send(text)
  elseif req.path == "/png" then res:header("content-type", "image/png"):send(text)
  elseif req.path == "/small" then res:header("content-type", "text/plain"):send("tiny")
  elseif req.path == "/off" then res:compress(false):header("content-type", "text/plain"):send(text)
  elseif req.path == "/stream" then
    res:header("content-type", "text/plain")
    for _ = 1, 3 do res:write(text) end
  elseif req.path == "/json" then res:json({ text = text })
  end
end })
local base = "http://127.0.0.1:" .. server.port
for _, path in ipairs{ "/text", "/png", "/small", "/off", "/stream", "/json" } do
  -- naming accept-encoding gets the bytes as sent; without it the client decodes
  local raw = assert(http.get(base .. path, { headers = { ["accept-encoding"] = "gzip" } }))
  local decoded = assert(http.get(base .. path))
  print(path, raw.headers["content-encoding"] or "-", #raw.body < #decoded.body, #decoded.body,
    decoded.body:sub(1, 5))
end
for _, accepted in ipairs{ "br", "gzip, br", "br;q=0, gzip" } do
  -- brotli when the client takes it; tinn's client asks for both and decodes either
  for _, path in ipairs{ "/text", "/stream" } do
    local raw = assert(http.get(base .. path, { headers = { ["accept-encoding"] = accepted } }))
    print(accepted, path, raw.headers["content-encoding"] or "-", #raw.body < 2500)
  end
end
local plain = assert(http.get(base .. "/text", { headers = { ["accept-encoding"] = "identity" } }))
print("identity", plain.headers["content-encoding"] or "-", #plain.body)
local refused = assert(http.get(base .. "/text", { headers = { ["accept-encoding"] = "gzip;q=0" } }))
print("gzip;q=0", refused.headers["content-encoding"] or "-", #refused.body)
server:close()
