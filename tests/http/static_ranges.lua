-- http.static with several ranges: a multipart/byteranges 206 whose parts carry their own
-- content-range; one satisfiable range among them: a plain 206; none: 416; more than 16: the
-- whole file (200); HEAD tells the multipart body's length.
local http, fs = require("tinn.http"), require("tinn.fs")
local dir = assert(fs.tempdir())
assert(fs.writeFile(dir .. "/a.txt", "abcdefghijklmnopqrstuvwxyz"))
local server = assert(http.serve{ port = 0, handler = http.static(dir) })
local url = ("http://127.0.0.1:%d/a.txt"):format(server.port)
local function get(range, method)
  local r = assert(http.request{ url = url, method = method, headers = { range = range } })
  local boundary = (r.headers["content-type"] or ""):match("boundary=(.+)$")
  local body = boundary and r.body:gsub(boundary:gsub("%p", "%%%0"), "BOUNDARY") or r.body
  local length = tonumber(r.headers["content-length"])
  print(range:sub(1, 40), r.status, r.headers["content-range"] or "-", boundary and "multipart" or r.headers["content-type"] or "-",
    method == "HEAD" and length > 0 or length == #r.body, (body:gsub("\r\n", "|"):sub(1, 300)))
end
get("bytes=0-2,10-12,-3")
get("bytes=0-2, 24-")
get("bytes=0-2,100-200")
get("bytes=100-200,300-")
get("bytes=0-2,4-6", "HEAD")
get("bytes=" .. ("0-0,"):rep(16) .. "1-1")
get("bytes=" .. ("0-0,"):rep(15) .. "1-1")
server:close()
assert(fs.remove(dir, { recursive = true }))
