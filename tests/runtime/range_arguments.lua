-- Issue 15.8: out-of-range arguments get tinn's own `bad argument` message naming the function
-- and the argument, never an mlua conversion error, a `runtime error:` prefix or a traceback.
local http = require("tinn.http")
local net = require("tinn.net")
local ffi = require("ffi")
local function try(fn, ...)
  local ok, err = pcall(fn, ...)
  print(ok, (tostring(err):gsub("^[^:]+:%d+: ", "")))
end
local handler = function() end
try(http.serve, { port = 0, handler = handler, maxHeaderBytes = -1 })
try(http.serve, { port = 0, handler = handler, maxHeaderBytes = 1.5 })
try(http.serve, { port = 0, handler = handler, backlog = 2 ^ 31 })
try(http.serve, { port = 0, handler = handler, headerTimeoutMs = -5 })
try(net.tcp.listen, "127.0.0.1", 0, { backlog = 2 ^ 31 })
try(net.tcp.listen, "127.0.0.1", 0, { backlog = 0 })
local server = assert(net.tcp.listen("127.0.0.1", 0))
local client = assert(net.tcp.connect("127.0.0.1", server.port))
try(client.write, client, ffi.cast("char *", nil), 3)
client:close()
server:close()
