-- tinn.http: an HTTP/1.1 server whose handlers are tasks, and a client (docs/http.md).
--
--   local http = require("tinn.http")
--   local server = assert(http.serve{ port = 0, handler = function(req, res)
--     res:header("content-type", "text/plain"):send("hello " .. req.path)
--   end })
--   print(http.get("http://127.0.0.1:" .. server.port .. "/you").body)  --> hello /you
--   server:close()

local native = ...
local reactor = require("tinn.reactor")

local await = reactor.await
local type, tostring, error, setmetatable, rawget, rawset = type, tostring, error, setmetatable, rawget, rawset
local format, floor = string.format, math.floor

local DEFAULT_MAX_HEADER_BYTES = 16 * 1024
local DEFAULT_HEADER_TIMEOUT_MS = 10000
-- A kept-alive connection with no request for this long is closed (Node: 5 s, nginx: 75 s).
local DEFAULT_IDLE_TIMEOUT_MS = 30000
-- A request body whose next bytes take longer than this ends the read with "timeout".
local DEFAULT_BODY_TIMEOUT_MS = 30000
-- hyper's default; more costs a heap allocation per request.
local DEFAULT_MAX_HEADERS = 100
local DEFAULT_MAX_BODY = 16 * 1024 * 1024
local DEFAULT_BACKLOG = 1024

local check = require("tinn.check")
local argError = check.argError

local function checkTimeout(ms, fname, n)
  check.timeout(ms, n or 1, fname, 1)
end

local function option(opts, key, kind, default, fname)
  local value = opts[key]
  if value == nil then return default end
  if type(value) ~= kind then argError(1, fname, format("'%s' must be a %s, got %s", key, kind, type(value)), 1) end
  return value
end

-- Header tables keep lowercase names; lookups ignore case (`headers["Content-Type"]`).
local Headers = {
  __index = function(headers, name)
    if type(name) == "string" then return rawget(headers, name:lower()) end
  end,
}

local function unescape(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

-- `a=1&b=x%20y&a=2` → { a = {"1", "2"}, b = "x y" }: a repeated key gives a list.
local function parseQuery(raw)
  local query = {}
  if not raw then return query end
  for pair in raw:gmatch("[^&]+") do
    local key, value = pair:match("^([^=]*)=?(.*)$")
    key, value = unescape(key), unescape(value)
    local seen = query[key]
    if seen == nil then
      query[key] = value
    elseif type(seen) == "table" then
      seen[#seen + 1] = value
    else
      query[key] = { seen, value }
    end
  end
  return query
end

---------------------------------------------------------------------------------------------------
-- Requests and responses, as handlers see them
---------------------------------------------------------------------------------------------------

local Request = {}
local RequestMeta = {
  -- headers and query are made on first use: a handler that never looks pays nothing
  __index = function(req, key)
    if key == "headers" then
      local headers = setmetatable(req.handle:headers(), Headers)
      rawset(req, "headers", headers)
      return headers
    elseif key == "query" then
      local query = parseQuery(req.rawQuery)
      rawset(req, "query", query)
      return query
    end
    return Request[key]
  end,
  __tostring = function(req) return format("Request(%s %s)", req.method, req.path) end,
}

--- req:body([maxBytes [, timeoutMs]]) -> the whole body (default limit 16 MiB) | nil, err
function Request:body(maxBytes, timeoutMs)
  if maxBytes ~= nil and (type(maxBytes) ~= "number" or maxBytes < 0) then
    argError(1, "req:body", "maxBytes must be a non-negative number, got " .. tostring(maxBytes))
  end
  checkTimeout(timeoutMs, "req:body", 2)
  local cached = rawget(self, "bodyText")
  if cached then return cached end
  local text, err = await(timeoutMs, self.handle:read(true, floor(maxBytes or DEFAULT_MAX_BODY)))
  if text then rawset(self, "bodyText", text) end
  return text, err
end

--- req:read([timeoutMs]) -> the next chunk of the body | nil at its end | nil, err
function Request:read(timeoutMs)
  checkTimeout(timeoutMs, "req:read", 1)
  return await(timeoutMs, self.handle:read(false, 0))
end

local Response = {}
Response.__index = Response

--- res:status(code) -> res
function Response:status(code)
  if type(code) ~= "number" or code < 100 or code > 999 or code ~= floor(code) then
    argError(1, "res:status", "status must be an integer 100-999, got " .. tostring(code))
  end
  self.statusCode = code
  return self
end

--- res:header(name, value) -> res   (set before the first write or send)
function Response:header(name, value)
  if type(name) ~= "string" then argError(1, "res:header", "string expected, got " .. type(name)) end
  if type(value) ~= "string" and type(value) ~= "number" then
    argError(2, "res:header", "string expected, got " .. type(value))
  end
  self.headers[name:lower()] = tostring(value)
  return self
end

local function raiseIfFailed(fname, ok, err)
  if ok == nil and err ~= "closed" then error(fname .. ": " .. err, 3) end
  return ok, err
end

--- res:send([body]) sends the whole response. Errors: raises if a response was already sent.
function Response:send(body)
  if body ~= nil and type(body) ~= "string" then argError(1, "res:send", "string expected, got " .. type(body)) end
  self.bytesSent = body and #body or 0
  return raiseIfFailed("res:send", self.handle:respond(self.statusCode, self.headers, body))
end

--- res:json(value) sends value as JSON with content-type application/json.
function Response:json(value)
  self.headers["content-type"] = "application/json"
  local body = tinn.json.encode(value)
  self.bytesSent = #body
  return raiseIfFailed("res:json", self.handle:respond(self.statusCode, self.headers, body))
end

--- res:write(chunk [, timeoutMs]) streams a chunk (chunked encoding); the first write sends the
--- status and headers. Waits while the client reads slower than the handler writes.
--- Returns true, or nil, "closed" when the client went away, or nil, "timeout", 0: a chunk is
--- queued whole or not at all, so after a timeout nothing of it was sent; write it again.
function Response:write(chunk, timeoutMs)
  if type(chunk) ~= "string" then argError(1, "res:write", "string expected, got " .. type(chunk)) end
  checkTimeout(timeoutMs, "res:write", 2)
  if not self.handle:streaming() then
    raiseIfFailed("res:write", self.handle:startStream(self.statusCode, self.headers))
  end
  local ok, err = await(timeoutMs, self.handle:write(chunk))
  if ok then self.bytesSent = self.bytesSent + #chunk end
  if err == "timeout" then return nil, err, 0 end
  return ok, err
end

--- res:finish() ends a streamed response (done for you when the handler returns).
function Response:finish() self.handle:finish() end

---------------------------------------------------------------------------------------------------
-- WebSockets
---------------------------------------------------------------------------------------------------

local WebSocket = {}
WebSocket.__index = WebSocket

--- ws:send(text | {binary = bytes} [, timeoutMs]) -> true | nil, err
function WebSocket:send(message, timeoutMs)
  checkTimeout(timeoutMs, "ws:send", 2)
  if type(message) == "string" then
    return await(timeoutMs, self.handle:send("text", message))
  elseif type(message) == "table" and type(message.binary) == "string" then
    return await(timeoutMs, self.handle:send("binary", message.binary))
  end
  argError(1, "ws:send", "text string or {binary = string} expected, got " .. type(message))
end

--- ws:receive([timeoutMs]) -> data, "text" | "binary"; nil, "closed", code, reason once the
--- connection ended: the peer's close code, 1006 and what happened when it vanished, or the code
--- sent to a peer that broke the protocol (1002, 1007 bad UTF-8, 1009 too big); nil, "timeout"
function WebSocket:receive(timeoutMs)
  checkTimeout(timeoutMs, "ws:receive", 1)
  return await(timeoutMs, self.handle:receive())
end

--- ws:close([code = 1000 [, reason]]) sends a close frame; tasks waiting on ws get nil, "closed".
function WebSocket:close(code, reason)
  if code ~= nil and (type(code) ~= "number" or code < 1000 or code > 4999) then
    argError(1, "ws:close", "close code must be 1000-4999, got " .. tostring(code))
  end
  if reason ~= nil and type(reason) ~= "string" then argError(2, "ws:close", "string expected, got " .. type(reason)) end
  return await(nil, self.handle:close(code, reason))
end

function WebSocket:isClosed() return self.handle:isClosed() end

function WebSocket:__tostring() return format("WebSocket(%s)", self.peer or "?") end

--- res:upgrade() answers a WebSocket handshake -> ws | nil, err (not a handshake)
function Response:upgrade()
  local handle, err = await(nil, self.handle:upgrade())
  if not handle then return nil, err end
  local ws = setmetatable({ handle = handle, peer = self.peer }, WebSocket)
  self.websocket = ws -- closed when the handler ends
  return ws
end

---------------------------------------------------------------------------------------------------
-- Server
---------------------------------------------------------------------------------------------------

local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }

-- Quotes, backslashes and control characters in a logged field become \xHH, as nginx writes them.
local function logField(text)
  if text == nil or text == "" then return "-" end
  return (text:gsub('[%c"\\\128-\255]', function(c) return format("\\x%02X", c:byte()) end))
end

-- One line in the combined log format:
-- 127.0.0.1 - - [02/Dec/2026:16:50:00 +0000] "GET /a?x=1 HTTP/1.1" 200 5 "referer" "user agent"
local function writeAccessLog(accessLog, req, status, bytes)
  local now = os.date("!*t")
  local headers = req.headers
  local target = req.rawQuery and req.path .. "?" .. req.rawQuery or req.path
  local line = format('%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] "%s %s %s" %d %d "%s" "%s"',
    req.remoteAddress, now.day, MONTHS[now.month], now.year, now.hour, now.min, now.sec,
    req.method, logField(target), req.version, status, bytes,
    logField(headers["referer"]), logField(headers["user-agent"]))
  if type(accessLog) == "function" then accessLog(line) else accessLog:info("%s", line) end
end

local function handleRequest(handler, handle, accessLog)
  local method, path, rawQuery, version, remoteAddress, remotePort = handle:info()
  local req = setmetatable({
    handle = handle, method = method, path = path, rawQuery = rawQuery, version = version,
    remoteAddress = remoteAddress, remotePort = remotePort,
  }, RequestMeta)
  local res = setmetatable({ handle = handle, statusCode = 200, headers = {}, bytesSent = 0,
    peer = remoteAddress .. ":" .. remotePort }, Response)
  local ok, err = xpcall(handler, reactor.traceback, req, res)
  if not ok then
    io.stderr:write(format("tinn: error in HTTP handler for %s %s: %s\n", method, path, tostring(err)))
    if not handle:responded() then
      res.statusCode, res.bytesSent = 500, 22
      handle:respond(500, { ["content-type"] = "text/plain" }, "Internal Server Error\n")
    end
  elseif not handle:responded() then
    handle:respond(res.statusCode, res.headers, nil) -- the handler sent nothing: an empty body
  end
  -- The connection is the handler's: when it ends, so does a WebSocket it did not close (1011
  -- when the handler failed), and the socket is let go now, not when Lua collects `handle`.
  local ws = rawget(res, "websocket")
  if ws and not ws.handle:isClosed() then
    await(nil, ws.handle:close(ok and 1000 or 1011, ok and "" or "handler failed"))
  end
  handle:release()
  if accessLog then
    local logged, logErr = pcall(writeAccessLog, accessLog, req, rawget(res, "websocket") and 101 or res.statusCode, res.bytesSent)
    if not logged then io.stderr:write(format("tinn: HTTP access log failed: %s\n", tostring(logErr))) end
  end
end

local function serverLoop(handle, handler, accessLog)
  while true do
    local batch = await(nil, handle:nextRequests())
    if not batch then return end -- closed
    for i = 1, #batch do spawn(handleRequest, handler, batch[i], accessLog) end
  end
end

local Server = {}
Server.__index = Server

-- Servers not yet closed. Ctrl-C (SIGINT) or SIGTERM closes them all, each draining for its
-- drainMs, then ends the program with the signal's status, as it would have without them.
local liveServers = {}
local signalWatchers -- { SIGINT = task, SIGTERM = task } while some server is live
local DEFAULT_DRAIN_MS = 5000
local SIGNAL_STATUS = { SIGINT = 130, SIGTERM = 143 }

local function drainOnSignal(signal)
  waitSignal(signal)
  local watchers = signalWatchers
  signalWatchers = nil
  for name, watcher in pairs(watchers) do
    if name ~= signal then watcher:cancel() end
  end
  local draining = {}
  for server in pairs(liveServers) do draining[#draining + 1] = server end
  for _, server in ipairs(draining) do server:close{ drainMs = server.drainMs } end
  for _, server in ipairs(draining) do server.task:join() end
  stop(SIGNAL_STATUS[signal])
end

local function remember(server)
  liveServers[server] = true
  -- The REPL keeps Ctrl-C for cancelling the running entry.
  if signalWatchers or package.loaded["tinn.repl.host"] then return end
  signalWatchers = {}
  for signal in pairs(SIGNAL_STATUS) do
    signalWatchers[signal] = spawn(drainOnSignal, signal)
    signalWatchers[signal]:name("tinn.http: drain servers on " .. signal)
  end
end

local function forget(server)
  liveServers[server] = nil
  if next(liveServers) == nil and signalWatchers then
    for _, watcher in pairs(signalWatchers) do watcher:cancel() end
    signalWatchers = nil
  end
end

--- server:close([{drainMs = 0}]) stops the server. With drainMs, it stops accepting at once
--- (new connections are refused), lets the requests begun finish for up to drainMs, then
--- closes the rest; it returns at once, and server.task ends when the server has closed.
function Server:close(opts)
  local drainMs = 0
  if opts ~= nil then
    if type(opts) ~= "table" then argError(1, "server:close", "options table expected, got " .. type(opts)) end
    drainMs = option(opts, "drainMs", "number", 0, "server:close")
    check.integer(drainMs, 1, "server:close", "'drainMs'", 0, check.INT_MAX)
  end
  if self.reloader then self.reloader:cancel() end
  forget(self)
  if drainMs > 0 then self.handle:drain(drainMs) else self.handle:close() end
end

--- server:reload() -> true | nil, err   reads the tls certificates and keys again (files are
--- read anew); new handshakes use them, open connections go on. On error the old ones stay.
function Server:reload()
  if not self.tls then error("server:reload: the server has no tls certificates to reload", 2) end
  return self.handle:reload()
end

function Server:isClosed() return self.handle:isClosed() end

function Server:address() return self.host, self.port end

function Server:__tostring()
  local host = self.host:find(":", 1, true) and "[" .. self.host .. "]" or self.host
  return format("HttpServer(%s://%s:%d)", self.tls and "https" or "http", host, self.port)
end

local http = {}

-- One `{cert, key, names}` entry of the tls option, checked; `where` names it in errors.
local function tlsEntry(entry, where)
  if type(entry) ~= "table" then argError(1, "http.serve", format("'%s' must be a table, got %s", where, type(entry)), 2) end
  for _, key in ipairs({ "cert", "key" }) do
    if type(entry[key]) ~= "string" then
      argError(1, "http.serve", format("'%s.%s' must be PEM text or a file path, got %s", where, key, type(entry[key])), 2)
    end
  end
  local names = entry.names
  if type(names) == "string" then names = { names } end
  if names ~= nil then
    if type(names) ~= "table" then argError(1, "http.serve", format("'%s.names' must be a list of host names, got %s", where, type(names)), 2) end
    for i = 1, #names do
      if type(names[i]) ~= "string" then argError(1, "http.serve", format("'%s.names[%d]' must be a string, got %s", where, i, type(names[i])), 2) end
    end
  end
  return { cert = entry.cert, key = entry.key, names = names }
end

-- `tls = {cert, key}` or a list of them → a list of checked entries.
local function tlsEntries(tls)
  if type(tls) ~= "table" then argError(1, "http.serve", "'tls' must be a table {cert = ..., key = ...} or a list of them, got " .. type(tls), 1) end
  if tls.cert ~= nil or tls.key ~= nil then return { tlsEntry(tls, "tls") } end
  if #tls == 0 then argError(1, "http.serve", "'tls' has no certificate (give {cert = ..., key = ...})", 1) end
  local entries = {}
  for i = 1, #tls do entries[i] = tlsEntry(tls[i], format("tls[%d]", i)) end
  return entries
end

-- Reloads the certificates on SIGHUP, as nginx does; a failure keeps the old ones and says why.
local function reloadOnHangup(server)
  while true do
    waitSignal("SIGHUP")
    local ok, err = server.handle:reload()
    if not ok and err ~= "closed" then
      io.stderr:write(format("tinn: %s: reloading tls certificates on SIGHUP failed, the old ones stay: %s\n", tostring(server), err))
    end
  end
end

--- http.serve{host = "127.0.0.1", port, handler, reuseport, maxHeaderBytes = 16384,
---   maxHeaders = 100, headerTimeoutMs = 10000, idleTimeoutMs = 30000, bodyTimeoutMs = 30000,
---   backlog = 1024, tls, drainMs = 5000, accessLog} -> server | nil, err
--- tls = {cert = PEM or path, key = PEM or path [, names = {host, ...}]}, or a list of such
--- (chosen per connection by the name the client asks for; the first when none matches).
--- Each request runs handler(req, res) as its own task. The server runs until server:close().
function http.serve(opts)
  if type(opts) ~= "table" then argError(1, "http.serve", "options table expected, got " .. type(opts)) end
  local host = option(opts, "host", "string", "127.0.0.1", "http.serve")
  local port = option(opts, "port", "number", nil, "http.serve")
  if port == nil or port ~= floor(port) or port < 0 or port > 65535 then
    argError(1, "http.serve", "'port' must be an integer 0-65535, got " .. tostring(port))
  end
  local handler = opts.handler
  if type(handler) ~= "function" then argError(1, "http.serve", "'handler' must be a function, got " .. type(handler)) end
  local maxHeaderBytes = option(opts, "maxHeaderBytes", "number", DEFAULT_MAX_HEADER_BYTES, "http.serve")
  check.integer(maxHeaderBytes, 1, "http.serve", "'maxHeaderBytes'", 1, check.INT_MAX)
  local headerTimeoutMs = option(opts, "headerTimeoutMs", "number", DEFAULT_HEADER_TIMEOUT_MS, "http.serve")
  check.integer(headerTimeoutMs, 1, "http.serve", "'headerTimeoutMs'", 0, check.INT_MAX)
  local backlog = option(opts, "backlog", "number", DEFAULT_BACKLOG, "http.serve")
  check.integer(backlog, 1, "http.serve", "'backlog'", 1, check.INT_MAX)
  local reuseport = option(opts, "reuseport", "boolean", false, "http.serve")
  local maxHeaders = option(opts, "maxHeaders", "number", DEFAULT_MAX_HEADERS, "http.serve")
  check.integer(maxHeaders, 1, "http.serve", "'maxHeaders'", 1, check.INT_MAX)
  local idleTimeoutMs = option(opts, "idleTimeoutMs", "number", DEFAULT_IDLE_TIMEOUT_MS, "http.serve")
  check.integer(idleTimeoutMs, 1, "http.serve", "'idleTimeoutMs'", 0, check.INT_MAX)
  local bodyTimeoutMs = option(opts, "bodyTimeoutMs", "number", DEFAULT_BODY_TIMEOUT_MS, "http.serve")
  check.integer(bodyTimeoutMs, 1, "http.serve", "'bodyTimeoutMs'", 0, check.INT_MAX)
  local accessLog = opts.accessLog
  if accessLog ~= nil and type(accessLog) ~= "function" and not (type(accessLog) == "table" and type(accessLog.info) == "function") then
    argError(1, "http.serve", "'accessLog' must be a tinn.log logger or a function(line), got " .. type(accessLog))
  end
  local drainMs = option(opts, "drainMs", "number", DEFAULT_DRAIN_MS, "http.serve")
  check.integer(drainMs, 1, "http.serve", "'drainMs'", 0, check.INT_MAX)
  local tls = opts.tls ~= nil and tlsEntries(opts.tls) or nil
  local handle, err = native.serve(host, port, maxHeaderBytes, headerTimeoutMs, backlog, reuseport,
    maxHeaders, idleTimeoutMs, bodyTimeoutMs, tls)
  if not handle then return nil, err end
  local boundHost, boundPort = handle:address()
  local server = setmetatable({ handle = handle, host = boundHost, port = boundPort, tls = tls ~= nil,
    drainMs = drainMs }, Server)
  server.task = spawn(serverLoop, handle, handler, accessLog)
  server.task:name(tostring(server))
  if tls then
    server.reloader = spawn(reloadOnHangup, server)
    server.reloader:name(tostring(server) .. " SIGHUP")
  end
  remember(server)
  return server
end

---------------------------------------------------------------------------------------------------
-- Client
---------------------------------------------------------------------------------------------------

-- The `ca` option: PEM text as it is, or the PEM file a path names.
local function readCa(ca)
  if ca == nil or ca:find("-----BEGIN", 1, true) then return ca end
  local file, err = io.open(ca, "rb")
  if not file then return nil, "ca: " .. err end
  local text = file:read("*a")
  file:close()
  return text
end

--- http.request{url, method = "GET", headers, body, timeout, followRedirects = true, ca}
---   -> { status, headers, body } | nil, err
--- `ca` (PEM text or a PEM file's path) adds certificates to trust beside the system's.
function http.request(opts)
  if type(opts) == "string" then opts = { url = opts } end
  if type(opts) ~= "table" then argError(1, "http.request", "options table or URL expected, got " .. type(opts)) end
  local url = opts.url
  if type(url) ~= "string" then argError(1, "http.request", "'url' must be a string, got " .. type(url)) end
  local method = option(opts, "method", "string", "GET", "http.request"):upper()
  local headers = option(opts, "headers", "table", nil, "http.request")
  local body = option(opts, "body", "string", nil, "http.request")
  local timeout = opts.timeout or opts.timeoutMs
  checkTimeout(timeout, "http.request")
  local follow = option(opts, "followRedirects", "boolean", true, "http.request")
  local ca, caErr = readCa(option(opts, "ca", "string", nil, "http.request"))
  if caErr then return nil, caErr end
  local status, responseHeaders, responseBody = await(timeout, native.request(method, url, headers, body, follow, ca))
  if not status then return nil, responseHeaders end
  return { status = status, headers = setmetatable(responseHeaders, Headers), body = responseBody }
end

--- http.get(url [, opts]) -> { status, headers, body } | nil, err
function http.get(url, opts)
  if type(url) ~= "string" then argError(1, "http.get", "URL string expected, got " .. type(url)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "http.get", "options table expected, got " .. type(opts)) end
  local request = { url = url, method = "GET" }
  for key, value in pairs(opts or {}) do request[key] = value end
  return http.request(request)
end

--- http.websocket(url [, {timeout, ca}]) -> ws | nil, err   (ws:// and wss:// URLs; `ca` as
--- for http.request)
function http.websocket(url, opts)
  if type(url) ~= "string" then argError(1, "http.websocket", "URL string expected, got " .. type(url)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "http.websocket", "options table expected, got " .. type(opts)) end
  local timeout = opts and opts.timeout
  checkTimeout(timeout, "http.websocket", 2)
  local ca, caErr = readCa(opts and option(opts, "ca", "string", nil, "http.websocket"))
  if caErr then return nil, caErr end
  local handle, err = await(timeout, native.websocket(url, ca))
  if not handle then return nil, err end
  return setmetatable({ handle = handle, peer = url }, WebSocket)
end

http.parseQuery = parseQuery

return http
