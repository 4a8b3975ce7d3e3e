-- The https client against a local TLS server whose certificate a test CA signed
-- (arguments: port, CA file; the server is started by tests/http.rs).
local http = require("tinn.http")
local port, caFile = arg[1], arg[2]
local url = ("https://127.0.0.1:%s/hello.txt"):format(port)
local r, err = http.get(url, { ca = caFile, timeout = 10000 })
print("with the test CA", r and r.status, r and (r.body:gsub("%s+$", "")) or err)
local untrusted, why = http.get(url, { timeout = 10000 })
print("without it", untrusted, why and why:find("UnknownIssuer", 1, true) ~= nil)
print("bad ca", http.get(url, { ca = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n" }))
