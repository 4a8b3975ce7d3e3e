-- The tinn side of the HTTP benchmark: hello world; prints its port, serves until killed.
local http = require("tinn.http")
local server = assert(http.serve{ port = 0, handler = function(req, res) res:send("Hello, World!") end })
print(server.port)
