-- static.lua: a static file server built on http.static: ETag and Last-Modified with 304s,
-- Range requests, HEAD, content types, index.html for folders; files stream from disk in
-- 64 KiB chunks, and paths that leave the folder (by `..` or a symbolic link) get 403.
-- Run: tinn examples/http/static.lua [port [directory]]   then: curl http://127.0.0.1:8083/README.md
local http = require("tinn.http")
local files = http.static(arg[2] or ".")

local server = assert(http.serve{ port = tonumber(arg[1]) or 8083, handler = files })
print("listening on http://127.0.0.1:" .. server.port)
