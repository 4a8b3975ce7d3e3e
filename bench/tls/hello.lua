-- The tinn side of bench/tls/run.sh: hello world over HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with
-- the certificate and key given as arguments; prints its port, serves until killed.
local http = require("tinn.http")
local server = assert(http.serve{ port = 0, tls = { cert = arg[1], key = arg[2] },
  handler = function(req, res) res:send("Hello, World!") end })
print(server.port)
