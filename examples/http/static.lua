-- static.lua: a static file server that streams files from disk in 64 KiB chunks, so large
-- files never sit whole in memory, and a slow client only slows its own task.
-- Run: tinn examples/http/static.lua [port [directory]]   then: curl http://127.0.0.1:8083/README.md
local http, fs = require("tinn.http"), require("tinn.fs")
local root = arg[2] or "."
local CHUNK = 64 * 1024
local TYPES = { html = "text/html", css = "text/css", js = "text/javascript", json = "application/json",
  lua = "text/plain", md = "text/markdown", txt = "text/plain", png = "image/png", jpg = "image/jpeg" }

local function contentType(path)
  return TYPES[path:match("%.(%w+)$") or ""] or "application/octet-stream"
end

local server = assert(http.serve{ port = tonumber(arg[1]) or 8083, handler = function(req, res)
  -- refuse anything that could climb out of the root
  if req.path:find("..", 1, true) or req.path:find("\0", 1, true) then
    return res:status(400):send("bad path\n")
  end
  local path = root .. req.path
  local info = fs.stat(path)
  if not info or info.type ~= "file" then return res:status(404):send("not found: " .. req.path .. "\n") end
  local file, err = fs.open(path, "r")
  if not file then return res:status(403):send(err .. "\n") end
  res:header("content-type", contentType(path))
  while true do
    local chunk = file:read(CHUNK)
    if not chunk or chunk == "" then break end
    if not res:write(chunk) then break end -- the client went away
  end
  file:close()
end })
print("listening on http://127.0.0.1:" .. server.port)
