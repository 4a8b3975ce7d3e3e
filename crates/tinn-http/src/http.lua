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
local ffi = require("ffi")

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
local handleMethods = require("tinn.handle")
local argError = check.argError

local checkTimeout = check.timeout

-- A request is an integer id; these take it first (request.rs).
local requestRemote, requestVersion, requestHeaders = native.requestRemote, native.requestVersion, native.requestHeaders
local requestRead, requestRespond, requestStartStream = native.requestRead, native.requestRespond, native.requestStartStream
local requestWrite, requestFinish, requestUpgrade = native.requestWrite, native.requestFinish, native.requestUpgrade
local requestResponded = native.requestResponded
-- The two called for every request go through the FFI: a trace runs on through them (request.rs).
local requests = ffi.cast("void *", native.requests)
local respondPlain = ffi.cast("int (*)(void *, double, int, const char *, size_t, int, int)", native.respondPlain)
local setHeader = ffi.cast("void (*)(void *, double, int, const char *, size_t, const char *, size_t)", native.setHeader)
local release = ffi.cast("void (*)(void *, double)", native.release)
-- what pullRequest fills in (server.rs's PulledRequest); query is NULL when there is none
local PulledRequest = ffi.typeof([[struct { double id; const char *method; size_t methodLength;
  const char *path; size_t pathLength; const char *query; size_t queryLength; }]])
local pullRequest = ffi.cast("int (*)(void *, void *, void *)", native.pullRequest)
local ffiString = ffi.string

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

-- A fact of a request (headers, peer, version): raises once its handler has ended.
local function requestFact(fetch, req, key)
  local value, other = fetch(req.id)
  if value == nil then error(format("req.%s: %s", key, other), 3) end
  return value, other
end

local Request = {}
local RequestMeta = {
  -- headers, query, the client's address and the version are fetched on first use: a handler
  -- that never looks pays nothing
  __index = function(req, key)
    if key == "headers" then
      local headers = setmetatable(requestFact(requestHeaders, req, key), Headers)
      rawset(req, "headers", headers)
      return headers
    elseif key == "query" then
      local query = parseQuery(req.rawQuery)
      rawset(req, "query", query)
      return query
    elseif key == "remoteAddress" or key == "remotePort" then
      local address, port = requestFact(requestRemote, req, key)
      rawset(req, "remoteAddress", address)
      rawset(req, "remotePort", port)
      return rawget(req, key)
    elseif key == "version" then
      local version = requestFact(requestVersion, req, key)
      rawset(req, "version", version)
      return version
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
  checkTimeout(timeoutMs, 2, "req:body")
  local cached = rawget(self, "bodyText")
  if cached then return cached end
  local text, err = await(timeoutMs, requestRead(self.id, true, floor(maxBytes or DEFAULT_MAX_BODY)))
  if text then rawset(self, "bodyText", text) end
  return text, err
end

--- req:read([timeoutMs]) -> the next chunk of the body | nil at its end | nil, err
function Request:read(timeoutMs)
  checkTimeout(timeoutMs, 1, "req:read")
  return await(timeoutMs, requestRead(self.id, false, 0))
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

-- Rust keeps a copy of what res:header sets, which a response sends without reading the table
-- (`respond`). The copy stands for the table res:header made (`res.headersSet`) while the script
-- has not added a name to it directly (noted by the table's __newindex) nor changed or removed a
-- value res:header set (`res.headersCopy` holds name, value pairs, compared when sending).
local addedDirectly = setmetatable({}, { __mode = "k" })
local HeadersSet = { __newindex = function(headers, name, value)
  addedDirectly[headers] = true
  rawset(headers, name, value)
end }

--- res:header(name, value) -> res   (set before the first write or send)
function Response:header(name, value)
  if type(name) ~= "string" then argError(1, "res:header", "string expected, got " .. type(name)) end
  if type(value) ~= "string" and type(value) ~= "number" then
    argError(2, "res:header", "string expected, got " .. type(value))
  end
  local headers, fresh = self.headers, 0
  if not headers then
    headers, fresh = setmetatable({}, HeadersSet), 1
    self.headers, self.headersSet, self.headersCopy = headers, headers, {}
  end
  name, value = name:lower(), tostring(value)
  if headers == self.headersSet then
    rawset(headers, name, value)
    local copy = self.headersCopy
    local at = #copy + 1
    for i = 1, #copy, 2 do
      if copy[i] == name then at = i break end
    end
    copy[at], copy[at + 1] = name, value
  else
    headers[name] = value
  end
  setHeader(requests, self.id, fresh, name, #name, value, #value)
  return self
end

-- Whether Rust's copy of the headers stands for `headers` (see HeadersSet).
local function copyStandsFor(res, headers)
  if headers == nil then return true end
  if headers ~= res.headersSet or addedDirectly[headers] then return false end
  local copy = res.headersCopy
  for i = 1, #copy, 2 do
    if rawget(headers, copy[i]) ~= copy[i + 1] then return false end
  end
  return true
end

local function raiseIfFailed(fname, ok, err)
  if ok == nil and err ~= "closed" then error(fname .. ": " .. err, 3) end
  return ok, err
end

-- Sends the whole response; `sent` tells the handler's task that nothing is left to answer.
-- Through the FFI when the headers are none or Rust's copy stands for them; through the table
-- otherwise, and to say why the FFI call failed.
local function respond(res, fname, body)
  local headers, compressing = res.headers, res.compressing
  if copyStandsFor(res, headers) and respondPlain(requests, res.id, res.statusCode, body,
      body and #body or 0, compressing and 1 or 0, headers and 1 or 0) == 1 then
    res.sent = true
    return true
  end
  local ok, err = requestRespond(res.id, res.statusCode, headers, body, compressing)
  if ok then res.sent = true end
  return raiseIfFailed(fname, ok, err)
end

--- res:send([body]) sends the whole response. Errors: raises if a response was already sent.
function Response:send(body)
  if body ~= nil and type(body) ~= "string" then argError(1, "res:send", "string expected, got " .. type(body)) end
  self.bytesSent = body and #body or 0
  return respond(self, "res:send", body)
end

--- res:json(value) sends value as JSON with content-type application/json.
function Response:json(value)
  self:header("content-type", "application/json")
  local body = tinn.json.encode(value)
  self.bytesSent = #body
  return respond(self, "res:json", body)
end

--- res:write(chunk [, timeoutMs]) streams a chunk (chunked encoding); the first write sends the
--- status and headers. Waits while the client reads slower than the handler writes.
--- Returns true, or nil, "closed" when the client went away, or nil, "timeout", 0: a chunk is
--- queued whole or not at all, so after a timeout nothing of it was sent; write it again.
function Response:write(chunk, timeoutMs)
  if type(chunk) ~= "string" then argError(1, "res:write", "string expected, got " .. type(chunk)) end
  checkTimeout(timeoutMs, 2, "res:write")
  if not self.streaming then
    raiseIfFailed("res:write", requestStartStream(self.id, self.statusCode, self.headers, self.compressing))
    self.streaming, self.sent = true, true
  end
  local ok, err = await(timeoutMs, requestWrite(self.id, chunk))
  if ok then self.bytesSent = self.bytesSent + #chunk end
  if err == "timeout" then return nil, err, 0 end
  return ok, err
end

--- res:compress(on) -> res   gzip this response (when the client accepts it and its type is
--- text-like) or not, whatever the server's `compress` says. Set before sending.
function Response:compress(on)
  if type(on) ~= "boolean" then argError(1, "res:compress", "boolean expected, got " .. type(on)) end
  self.compressing = on
  return self
end

--- res:finish() ends a streamed response (done for you when the handler returns).
function Response:finish() requestFinish(self.id) end

---------------------------------------------------------------------------------------------------
-- WebSockets
---------------------------------------------------------------------------------------------------

local WebSocket = {}
WebSocket.__index = WebSocket

--- ws:send(text | {binary = bytes} [, timeoutMs]) -> true | nil, err
function WebSocket:send(message, timeoutMs)
  checkTimeout(timeoutMs, 2, "ws:send")
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
  checkTimeout(timeoutMs, 1, "ws:receive")
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

-- ws:isClosed(); ws:close() is above (it sends a close frame)
handleMethods.addMethods(WebSocket, "ws", function(self) return format("WebSocket(%s)", self.peer or "?") end,
  { close = false, settimeout = false })

--- res:upgrade() answers a WebSocket handshake -> ws | nil, err (not a handshake)
function Response:upgrade()
  local handle, err = await(nil, requestUpgrade(self.id))
  if not handle then
    self.sent = requestResponded(self.id) -- the 101 went out before the upgrade failed
    return nil, err
  end
  local address, port = requestRemote(self.id)
  local ws = setmetatable({ handle = handle, peer = address .. ":" .. port }, WebSocket)
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

local TEXT_PLAIN = { ["content-type"] = "text/plain" }

-- Runs the handler on one request in the calling task, then lets the request go.
local function handleRequest(serving, id, method, path, rawQuery)
  local req = setmetatable({ id = id, method = method, path = path, rawQuery = rawQuery }, RequestMeta)
  local res = setmetatable({ id = id, statusCode = 200, bytesSent = 0, compressing = serving.compress,
    sent = false }, Response)
  local ok, err = xpcall(serving.handler, reactor.traceback, req, res)
  if not ok then
    io.stderr:write(format("tinn: error in HTTP handler for %s %s: %s\n", method, path, tostring(err)))
    if not res.sent then
      res.statusCode, res.bytesSent = 500, 22
      requestRespond(id, 500, TEXT_PLAIN, "Internal Server Error\n")
    end
  elseif not res.sent then
    requestRespond(id, res.statusCode, res.headers, nil, false) -- the handler sent nothing: an empty body
  end
  -- The connection is the handler's: when it ends, so does a WebSocket it did not close (1011
  -- when the handler failed), and the socket is let go now.
  local ws = rawget(res, "websocket")
  if ws and not ws.handle:isClosed() then
    await(nil, ws.handle:close(ok and 1000 or 1011, ok and "" or "handler failed"))
  end
  local accessLog = serving.accessLog
  -- what the log line reads of the request, while it can still be read
  if accessLog then local _, _, _ = req.headers, req.remoteAddress, req.version end
  release(requests, id)
  if accessLog then
    local logged, logErr = pcall(writeAccessLog, accessLog, req, ws and 101 or res.statusCode, res.bytesSent)
    if not logged then io.stderr:write(format("tinn: HTTP access log failed: %s\n", tostring(logErr))) end
  end
end

-- Requests wait in `serving.queue` (REQUEST_FIELDS values each, from `head` to `tail`) for a
-- handler task. Handler tasks outlive their request: one that finishes takes the next queued
-- request, or waits (up to MAX_IDLE_HANDLERS of them) to be woken for one, so under load a
-- request costs no new task. While requests are queued one more task is always woken (or
-- started) and not yet running (`pending`): a handler that waits never holds up the requests
-- behind it, and handlers that do not wait serve a whole batch in one task.
local REQUEST_FIELDS = 4
local MAX_IDLE_HANDLERS = 256

local handlerTask

local function wakeHandler(serving)
  serving.pending = serving.pending + 1
  if signalOne(serving.wakeKey) == 0 then spawn(handlerTask, serving) end
end

function handlerTask(serving)
  local queue = serving.queue
  serving.pending = serving.pending - 1
  while true do
    local at = serving.head
    if at <= serving.tail then
      local id, method, path, rawQuery = queue[at], queue[at + 1], queue[at + 2], queue[at + 3]
      for i = at, at + REQUEST_FIELDS - 1 do queue[i] = nil end
      if at + REQUEST_FIELDS > serving.tail then
        serving.head, serving.tail = 1, 0
      else
        serving.head = at + REQUEST_FIELDS
        if serving.pending == 0 then wakeHandler(serving) end
      end
      handleRequest(serving, id, method, path, rawQuery)
    elseif serving.closed or serving.idle >= MAX_IDLE_HANDLERS then
      return
    else
      serving.idle = serving.idle + 1
      waitSignal(serving.wakeKey)
      serving.idle = serving.idle - 1
      serving.pending = serving.pending - 1
    end
  end
end

local function serverLoop(serving)
  -- serving.handle keeps the queue `parsed` points to alive
  local handle, queue, parsed = serving.handle, serving.queue, ffi.cast("void *", serving.handle:queue())
  local pulled = PulledRequest()
  while true do
    if not await(nil, handle:nextRequests()) then break end -- closed
    local tail = serving.tail
    while pullRequest(requests, parsed, pulled) ~= 0 do
      queue[tail + 1] = pulled.id
      queue[tail + 2] = ffiString(pulled.method, pulled.methodLength)
      queue[tail + 3] = ffiString(pulled.path, pulled.pathLength)
      if pulled.query ~= nil then queue[tail + 4] = ffiString(pulled.query, pulled.queryLength) end
      tail = tail + REQUEST_FIELDS
    end
    serving.tail = tail
    if serving.pending == 0 then wakeHandler(serving) end
  end
  serving.closed = true
  -- idle handler tasks serve what is still queued, then end
  serving.pending = serving.pending + signalAll(serving.wakeKey)
end

local Server = {}
Server.__index = Server

-- Servers not yet closed. While there are some, an OS signal that ends the program (Ctrl-C,
-- SIGTERM, SIGHUP with no task waiting for it) first closes them all, each draining for its
-- drainMs (the scheduler's beforeSignalExit hook), then the program ends with the signal's
-- status as it would have.
local liveServers = {}
local DEFAULT_DRAIN_MS = 5000

local function drainAll()
  local draining = {}
  for server in pairs(liveServers) do draining[#draining + 1] = server end
  for _, server in ipairs(draining) do server:close{ drainMs = server.drainMs } end
  for _, server in ipairs(draining) do server.task:join() end
end

local function remember(server)
  liveServers[server] = true
  reactor.beforeSignalExit(drainAll)
end

local function forget(server)
  liveServers[server] = nil
  if next(liveServers) == nil then reactor.cancelBeforeSignalExit(drainAll) end
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

function Server:address() return self.host, self.port end

-- server:isClosed(), tostring(server); close (above) drains
handleMethods.addMethods(Server, "server", function(self)
  return format("HttpServer(%s://%s)", self.tls and "https" or "http", handleMethods.hostPort(self.host, self.port))
end, { settimeout = false, close = false })

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
    if type(names) ~= "table" then
      argError(1, "http.serve", format("'%s.names' must be a list of host names, got %s", where, type(names)), 2)
    end
    for i = 1, #names do
      if type(names[i]) ~= "string" then
        argError(1, "http.serve", format("'%s.names[%d]' must be a string, got %s", where, i, type(names[i])), 2)
      end
    end
  end
  return { cert = entry.cert, key = entry.key, names = names }
end

-- `tls = {cert, key}` or a list of them → a list of checked entries.
local function tlsEntries(tls)
  if type(tls) ~= "table" then
    argError(1, "http.serve", "'tls' must be a table {cert = ..., key = ...} or a list of them, got " .. type(tls), 1)
  end
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

-- An http.serve option that must be an integer from `low` on; `default` when absent.
local function serveInteger(opts, name, default, low)
  local value = option(opts, name, "number", default, "http.serve")
  check.integer(value, 1, "http.serve", "'" .. name .. "'", low, check.INT_MAX)
  return value
end

--- http.serve{host = "127.0.0.1", port, handler, reuseport, maxHeaderBytes = 16384,
---   maxHeaders = 100, headerTimeoutMs = 10000, idleTimeoutMs = 30000, bodyTimeoutMs = 30000,
---   backlog = 1024, tls, http2, drainMs = 5000, accessLog, compress = false} -> server | nil, err
--- tls = {cert = PEM or path, key = PEM or path [, names = {host, ...}]}, or a list of such
--- (chosen per connection by the name the client asks for; the first when none matches).
--- http2 (default: true with tls) also speaks HTTP/2: offered by ALPN over TLS, and taken with
--- prior knowledge (h2c) on a plain port.
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
  local maxHeaderBytes = serveInteger(opts, "maxHeaderBytes", DEFAULT_MAX_HEADER_BYTES, 1)
  local headerTimeoutMs = serveInteger(opts, "headerTimeoutMs", DEFAULT_HEADER_TIMEOUT_MS, 0)
  local backlog = serveInteger(opts, "backlog", DEFAULT_BACKLOG, 1)
  local reuseport = option(opts, "reuseport", "boolean", false, "http.serve")
  local maxHeaders = serveInteger(opts, "maxHeaders", DEFAULT_MAX_HEADERS, 1)
  local idleTimeoutMs = serveInteger(opts, "idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS, 0)
  local bodyTimeoutMs = serveInteger(opts, "bodyTimeoutMs", DEFAULT_BODY_TIMEOUT_MS, 0)
  local accessLog = opts.accessLog
  if accessLog ~= nil and type(accessLog) ~= "function" and not (type(accessLog) == "table" and type(accessLog.info) == "function") then
    argError(1, "http.serve", "'accessLog' must be a tinn.log logger or a function(line), got " .. type(accessLog))
  end
  local compress = option(opts, "compress", "boolean", false, "http.serve")
  local drainMs = serveInteger(opts, "drainMs", DEFAULT_DRAIN_MS, 0)
  local tls = opts.tls ~= nil and tlsEntries(opts.tls) or nil
  local http2 = option(opts, "http2", "boolean", tls ~= nil, "http.serve")
  local handle, err = native.serve(host, port, maxHeaderBytes, headerTimeoutMs, backlog, reuseport,
    maxHeaders, idleTimeoutMs, bodyTimeoutMs, tls, http2)
  if not handle then return nil, err end
  local boundHost, boundPort = handle:address()
  local server = setmetatable({ handle = handle, host = boundHost, port = boundPort, tls = tls ~= nil,
    drainMs = drainMs }, Server)
  local serving = { handle = handle, handler = handler, accessLog = accessLog, compress = compress,
    queue = {}, head = 1, tail = 0, idle = 0, pending = 0, wakeKey = {}, closed = false }
  server.task = spawn(serverLoop, serving)
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
---   -> { status, headers, body, version } | nil, err   (version: "HTTP/2.0" when the server
---   offered HTTP/2 by ALPN over https, else "HTTP/1.1")
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
  checkTimeout(timeout, 1, "http.request")
  local follow = option(opts, "followRedirects", "boolean", true, "http.request")
  local ca, caErr = readCa(option(opts, "ca", "string", nil, "http.request"))
  if caErr then return nil, caErr end
  local status, responseHeaders, responseBody, version = await(timeout, native.request(method, url, headers, body, follow, ca))
  if not status then return nil, responseHeaders end
  return { status = status, headers = setmetatable(responseHeaders, Headers), body = responseBody, version = version }
end

--- http.get(url [, opts]) -> { status, headers, body, version } | nil, err
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
  checkTimeout(timeout, 2, "http.websocket")
  local ca, caErr = readCa(opts and option(opts, "ca", "string", nil, "http.websocket"))
  if caErr then return nil, caErr end
  local handle, err = await(timeout, native.websocket(url, ca))
  if not handle then return nil, err end
  return setmetatable({ handle = handle, peer = url }, WebSocket)
end

---------------------------------------------------------------------------------------------------
-- Static files
---------------------------------------------------------------------------------------------------

local WEEKDAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local MONTH_NUMBER = {}
for i, name in ipairs(MONTHS) do MONTH_NUMBER[name] = i end

-- An HTTP date (RFC 9110 IMF-fixdate), written without the locale's names.
local function httpDate(t)
  local d = os.date("!*t", t)
  return format("%s, %02d %s %04d %02d:%02d:%02d GMT", WEEKDAYS[d.wday], d.day, MONTHS[d.month], d.year, d.hour, d.min, d.sec)
end

-- "Sun, 06 Nov 1994 08:49:37 GMT" -> seconds since the epoch, or nil.
local function parseHttpDate(text)
  local day, mon, year, h, m, s = (text or ""):match("^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  local month = MONTH_NUMBER[mon]
  if not month then return nil end
  year, day = tonumber(year), tonumber(day)
  -- days from 1970-01-01 (Howard Hinnant's days_from_civil)
  local y = month <= 2 and year - 1 or year
  local era = floor(y / 400)
  local yoe = y - era * 400
  local doy = floor((153 * (month > 2 and month - 3 or month + 9) + 2) / 5) + day - 1
  local days = era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468
  return ((days * 24 + tonumber(h)) * 60 + tonumber(m)) * 60 + tonumber(s)
end

local CONTENT_TYPES = {
  html = "text/html; charset=utf-8", htm = "text/html; charset=utf-8", css = "text/css; charset=utf-8",
  js = "text/javascript; charset=utf-8", mjs = "text/javascript; charset=utf-8",
  json = "application/json", txt = "text/plain; charset=utf-8", md = "text/markdown; charset=utf-8",
  lua = "text/plain; charset=utf-8", csv = "text/csv; charset=utf-8", xml = "application/xml",
  svg = "image/svg+xml", png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif",
  webp = "image/webp", avif = "image/avif", ico = "image/x-icon", wasm = "application/wasm",
  pdf = "application/pdf", zip = "application/zip", gz = "application/gzip", tar = "application/x-tar",
  woff = "font/woff", woff2 = "font/woff2", ttf = "font/ttf", otf = "font/otf",
  mp3 = "audio/mpeg", ogg = "audio/ogg", wav = "audio/wav", mp4 = "video/mp4", webm = "video/webm",
}

local STATIC_CHUNK = 64 * 1024
-- A Range header asking for more ranges than this gets the whole file (as nginx's
-- max_ranges): each range costs a part header and a seek, and a long list is an attack.
local MAX_RANGES = 16

-- The satisfiable ranges of "bytes=a-b, c-, -n, ..." within size, as { {first, last}, ... }
-- (empty when none is); nil when the header is not one tinn serves or lists more than
-- MAX_RANGES: the whole file is sent.
local function byteRanges(header, size)
  local list = header:match("^bytes=(.*)$")
  if not list then return nil end
  local ranges, count = {}, 0
  for item in list:gmatch("[^,]+") do
    local first, last = item:match("^%s*(%d*)%-(%d*)%s*$")
    if not first or (first == "" and last == "") then return nil end
    count = count + 1
    if count > MAX_RANGES then return nil end
    if first == "" then
      local n = tonumber(last)
      if n > 0 and size > 0 then ranges[#ranges + 1] = { math.max(size - n, 0), size - 1 } end
    else
      first, last = tonumber(first), last ~= "" and tonumber(last) or size - 1
      if first < size and first <= last then ranges[#ranges + 1] = { first, math.min(last, size - 1) } end
    end
  end
  if count == 0 then return nil end
  return ranges
end

-- Streams length bytes of file from offset first; false when the client went away.
local function writeRange(res, file, first, length)
  file:seek("set", first)
  local left = length
  while left > 0 do
    local chunk = file:read(math.min(left, STATIC_CHUNK))
    if not chunk or chunk == "" then return true end -- the file shrank meanwhile
    left = left - #chunk
    if not res:write(chunk) then return false end
  end
  return true
end

local boundaries = 0

-- Several ranges go out as one multipart/byteranges body, each part with its own content-range:
-- the part headers (the last entry closes the body) and the body's length.
local function multipart(res, size, ranges, contentType)
  boundaries = boundaries + 1
  local boundary = format("tinn-byteranges-%x-%x", os.time(), boundaries)
  local heads, length = {}, 0
  for i, range in ipairs(ranges) do
    heads[i] = format("\r\n--%s\r\ncontent-type: %s\r\ncontent-range: bytes %d-%d/%d\r\n\r\n",
      boundary, contentType, range[1], range[2], size)
    length = length + #heads[i] + range[2] - range[1] + 1
  end
  heads[#ranges + 1] = format("\r\n--%s--\r\n", boundary)
  res:header("content-type", "multipart/byteranges; boundary=" .. boundary)
  return heads, length + #heads[#ranges + 1]
end

local function writeParts(res, file, ranges, heads)
  for i, range in ipairs(ranges) do
    if not (res:write(heads[i]) and writeRange(res, file, range[1], range[2] - range[1] + 1)) then return end
  end
  res:write(heads[#ranges + 1])
end

-- Whether the client's cached copy (If-None-Match, else If-Modified-Since) is current.
local function notModified(headers, etag, modified)
  local ifNoneMatch = headers["if-none-match"]
  if ifNoneMatch then
    if ifNoneMatch:match("^%s*%*%s*$") then return true end
    for tag in ifNoneMatch:gmatch("[^,%s]+") do
      if tag:gsub("^W/", "") == etag then return true end
    end
    return false
  end
  local since = parseHttpDate(headers["if-modified-since"])
  return since ~= nil and modified <= since
end

local function decodePath(path)
  return (path:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

--- http.static(dir [, {index = "index.html", followSymlinks = false, maxAge}]) -> handler
--- A handler serving the files under dir: ETag and Last-Modified, 304 for a current cached
--- copy, Range (206; several ranges as multipart/byteranges, more than 16 get the whole file;
--- 416 when none is satisfiable), HEAD, content types, index files; paths that leave dir (by
--- `..`, or by a symbolic link unless followSymlinks) get 403. Errors: raises when dir is not a
--- folder.
function http.static(dir, opts)
  if type(dir) ~= "string" then argError(1, "http.static", "folder path expected, got " .. type(dir)) end
  if opts ~= nil and type(opts) ~= "table" then argError(2, "http.static", "options table expected, got " .. type(opts)) end
  opts = opts or {}
  local index = opts.index
  if index == nil then index = "index.html" end
  if index ~= false and type(index) ~= "string" then
    argError(2, "http.static", "'index' must be a file name or false, got " .. type(index))
  end
  local follow = option(opts, "followSymlinks", "boolean", false, "http.static")
  local maxAge = option(opts, "maxAge", "number", nil, "http.static")
  if maxAge then check.integer(maxAge, 2, "http.static", "'maxAge'", 0, check.INT_MAX) end
  local root, err = native.staticRoot(dir)
  if not root then error("http.static: " .. err, 2) end
  local fs = require("tinn.fs")

  return function(req, res)
    local method = req.method
    if method ~= "GET" and method ~= "HEAD" then
      return res:status(405):header("allow", "GET, HEAD"):send("method not allowed\n")
    end
    local path = decodePath(req.path)
    local real, size, modified, isDirectory = native.staticLookup(root, path, follow)
    if real and isDirectory then
      if not index then return res:status(404):send("not found\n") end
      if path:sub(-1) ~= "/" then
        -- relative links in the index page need the folder's trailing slash
        return res:status(301):header("location", req.path .. "/" .. (req.rawQuery and "?" .. req.rawQuery or "")):send()
      end
      real, size, modified, isDirectory = native.staticLookup(root, path .. index, follow)
      if real and isDirectory then real, size = nil, "not found" end
    end
    if not real then
      if size == "forbidden" then return res:status(403):send("forbidden\n") end
      return res:status(404):send("not found\n")
    end
    local etag = format('"%x-%x"', modified, size)
    res:header("etag", etag):header("last-modified", httpDate(modified)):header("accept-ranges", "bytes")
    if maxAge then res:header("cache-control", "max-age=" .. maxAge) end
    if notModified(req.headers, etag, modified) then return res:status(304):send() end
    local contentType = CONTENT_TYPES[(real:match("%.([%w]+)$") or ""):lower()] or "application/octet-stream"
    local first, length, parts = 0, size, nil
    local range = req.headers["range"]
    local ifRange = req.headers["if-range"]
    local ranges = range and (not ifRange or ifRange == etag or parseHttpDate(ifRange) == modified)
      and byteRanges(range, size)
    if ranges and #ranges == 0 then
      return res:status(416):header("content-range", "bytes */" .. size):send()
    elseif ranges and #ranges > 1 then
      res:status(206)
      parts, length = multipart(res, size, ranges, contentType)
    elseif ranges then
      first, length = ranges[1][1], ranges[1][2] - ranges[1][1] + 1
      res:status(206):header("content-range", format("bytes %d-%d/%d", first, ranges[1][2], size))
    end
    if not parts then res:header("content-type", contentType) end
    res:header("content-length", length)
    if method == "HEAD" or length == 0 then return res:send() end
    local file = fs.open(real, "r")
    if not file then return res:status(403):header("content-length", 10):send("forbidden\n") end
    if parts then
      writeParts(res, file, ranges, parts)
    elseif length <= STATIC_CHUNK then
      file:seek("set", first)
      res:send(file:read(length) or "")
    else
      writeRange(res, file, first, length)
    end
    file:close()
  end
end

http.parseQuery = parseQuery

return http
