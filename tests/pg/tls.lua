-- TLS through rustls: sslmode=require with the test CA encrypts and verifies the server; without
-- the CA the server's certificate is refused; `ca` alone also asks for TLS.
local sql = require("tinn.sql")
local url, ca = os.getenv("PG_URL"), os.getenv("PG_CA")
local SSL = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

local db = assert(sql.open(url .. "?sslmode=require", { ca = ca, pool = 2 }))
print("require + ca file", db:first(SSL).ssl)
-- the pool's other connections are encrypted too
local a = spawn(function() return db:first("SELECT ssl, pg_sleep(0.2) FROM pg_stat_ssl WHERE pid = pg_backend_pid()").ssl end)
local b = spawn(function() return db:first("SELECT ssl, pg_sleep(0.2) FROM pg_stat_ssl WHERE pid = pg_backend_pid()").ssl end)
print("two connections", a:join(), b:join())
db:close()

local file = assert(io.open(ca, "rb"))
local pem = file:read("*a")
file:close()
local viaText = assert(sql.open(url, { ca = pem }))
print("ca as PEM text", viaText:first(SSL).ssl)
viaText:close()

local _, err = sql.open(url .. "?sslmode=require")
print("no ca:", (err:gsub(":%d+/", ":PORT/")))
print("password hidden", not err:find(url:match(":([^:@/]+)@"), 1, true))

local plain = assert(sql.open(url .. "?sslmode=disable"))
print("sslmode=disable", plain:first(SSL).ssl)
plain:close()

print(sql.open(url, { ca = "/no/such/ca.pem" }))
print((select(2, sql.open(url, { ca = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" })):gsub(":%d+/", ":PORT/")))
