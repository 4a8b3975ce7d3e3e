---@meta
-- Type definitions for tinn.http (docs/http.md).

---@class HttpRequest
---@field method string
---@field path string
---@field rawQuery? string
---@field query table<string, string|string[]>
---@field headers table<string, string> lowercase names; lookups ignore case
---@field version string "HTTP/1.1", or "HTTP/2.0" over HTTP/2
---@field remoteAddress string
---@field remotePort integer
local HttpRequest = {}

---The whole request body (default limit 16 MiB). A read that times out keeps what it received:
---the next read returns it, so nothing is lost.
---@async
---@param maxBytes? integer
---@param timeoutMs? number
---@return string|nil body
---@return string|nil err
function HttpRequest:body(maxBytes, timeoutMs) end

---The next chunk of the body, nil at its end.
---@async
---@param timeoutMs? number
---@return string|nil chunk
---@return string|nil err
function HttpRequest:read(timeoutMs) end

---@class HttpResponse
local HttpResponse = {}

---Errors: raises if `code` is not an integer 100-999.
---@param code integer
---@return HttpResponse
function HttpResponse:status(code) end

---@param name string
---@param value string|number
---@return HttpResponse
function HttpResponse:header(name, value) end

---Sends the whole response. Errors: raises if a response was already sent.
---@param body? string
---@return true|nil ok
---@return string|nil err "closed" when the client is gone
function HttpResponse:send(body) end

---Sends `value` as JSON. Errors: as json.encode, or if a response was already sent.
---@param value any
---@return true|nil ok
---@return string|nil err
function HttpResponse:json(value) end

---Streams a chunk; the first write sends status and headers. A chunk is queued whole or not at
---all: on timeout (nil, "timeout", 0) nothing of it was sent, and writing it again goes on.
---@async
---@param chunk string
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err "closed" once the client is gone, or "timeout"
---@return integer|nil sent 0 after a timeout
function HttpResponse:write(chunk, timeoutMs) end

---Ends a streamed response.
function HttpResponse:finish() end

---Compresses this response (brotli, else gzip, when the client accepts it and its type is
---text-like) or not, whatever the server's `compress` says. Set before sending.
---Errors: raises when `on` is not a boolean.
---@param on boolean
---@return HttpResponse
function HttpResponse:compress(on) end

---Answers a WebSocket handshake with 101 and returns the WebSocket. The WebSocket lasts as long
---as the handler: when the handler returns it is closed (1000, or 1011 if the handler raised).
---@async
---@return WebSocket|nil ws
---@return string|nil err when the request is not a handshake
function HttpResponse:upgrade() end

---@class WebSocket
local WebSocket = {}

---Sends a text message, or {binary = bytes}.
---Errors: raises if the message is neither a string nor {binary = string}.
---@async
---@param message string|{binary: string}
---@param timeoutMs? number
---@return true|nil ok
---@return string|nil err "closed" once the connection is gone (the detail follows), "timeout", or an error
---@return string|nil detail
function WebSocket:send(message, timeoutMs) end

---Receives the next message: data and "text"/"binary"; nil, "closed", code, reason once the
---connection has ended, and its socket is released: the peer's close code and reason; 1006 and
---what happened when the peer vanished without a close frame; or, when the peer broke the
---protocol, the code sent to it (1002, 1007 text not UTF-8, 1009 message too big) and why.
---@async
---@param timeoutMs? number
---@return string|nil data
---@return string kind "text", "binary", "closed" or "timeout"
---@return integer|nil code
---@return string|nil reason
function WebSocket:receive(timeoutMs) end

---Sends a close frame and releases the socket.
---@async
---@param code? integer 1000-4999
---@param reason? string
---@return true
function WebSocket:close(code, reason) end

---@return boolean
function WebSocket:isClosed() end

---@class HttpServer
---@field host string
---@field port integer
---@field task Task the task taking requests
---@field tls boolean whether it serves HTTPS
local HttpServer = {}

---Closes the server: at once, or with drainMs stops accepting (new connections are refused),
---lets the requests begun finish for up to drainMs, then closes the rest. Returns at once;
---`server.task:join()` waits until it has closed.
---Errors: raises on a drainMs that is not an integer 0-2147483647.
---@param opts? {drainMs?: integer}
function HttpServer:close(opts) end

---Reads the tls certificates and keys again (files anew); new handshakes use them, open
---connections go on. On an error the certificates in use stay. SIGHUP does the same.
---Errors: raises on a server without tls.
---@return true|nil ok
---@return string|nil err e.g. "tls key does not match certificate (key '...', cert '...')", or "closed"
function HttpServer:reload() end

---@return boolean
function HttpServer:isClosed() end

---@return string host
---@return integer port
function HttpServer:address() end

---@class HttpTlsCert
---@field cert string PEM text or the path of a PEM file (the chain, leaf first)
---@field key string PEM text or the path of a PEM file (PKCS#8, PKCS#1 or SEC1)
---@field names? string[] host names this certificate answers

---@class HttpResult
---@field status integer
---@field headers table<string, string>
---@field body string
---@field version string "HTTP/2.0" when an https:// server offered HTTP/2 by ALPN, else "HTTP/1.1"

---@class tinn.http
local http = {}

---Starts a server; each request runs handler(req, res) as its own task.
---Errors: raises on a missing handler, a bad port, options of the wrong type or out of range
---(maxHeaderBytes, maxHeaders and backlog 1-2147483647, the timeouts 0-2147483647).
---Limits: `maxHeaderBytes` (16384) and `maxHeaders` (100) past which a request gets 431;
---`headerTimeoutMs` (10000) from a request's first byte to its last header, else 408;
---`idleTimeoutMs` (30000) a kept-alive connection may wait for its next request before it is
---closed; `bodyTimeoutMs` (30000) a body read waits for the client's next bytes before it
---returns nil, "timeout".
---`tls` serves HTTPS: `{cert = PEM or path, key = PEM or path}`, or a list of such entries,
---each with optional `names` (host names, `*.example.com` allowed) chosen by the name the client
---asks for (SNI); an entry without names answers the names its certificate is valid for; no
---match: the first. A TLS handshake must finish within `headerTimeoutMs`. A bad certificate or
---key returns nil, "http.serve: tls ...". `drainMs` (5000): how long Ctrl-C or SIGTERM lets requests
---in flight finish before the program exits (0: at once). `accessLog` (a tinn.log logger or a
---function(line)) gets a line per request in the combined log format. `compress` compresses
---text-like responses for clients that accept it (brotli preferred, else gzip). `http2`
---(default: true with tls) speaks HTTP/2 too: by ALPN over TLS, with prior knowledge (h2c) on a
---plain port; 128 streams per connection, each its own task; GOAWAY when idle or draining.
---@param opts {host?: string, port: integer, handler: fun(req: HttpRequest, res: HttpResponse), reuseport?: boolean, maxHeaderBytes?: integer, maxHeaders?: integer, headerTimeoutMs?: number, idleTimeoutMs?: number, bodyTimeoutMs?: number, backlog?: integer, tls?: HttpTlsCert|HttpTlsCert[], http2?: boolean, drainMs?: integer, accessLog?: Logger|fun(line: string), compress?: boolean}
---@return HttpServer|nil server
---@return string|nil err
function http.serve(opts) end

---Sends a request and reads the whole response.
---Errors: raises on a missing URL or options of the wrong type.
---@async
---@param opts {url: string, method?: string, headers?: table<string, string>, body?: string, timeout?: number, followRedirects?: boolean, ca?: string}|string
---@return HttpResult|nil response
---@return string|nil err
function http.request(opts) end

---@async
---@param url string
---@param opts? {headers?: table<string, string>, timeout?: number, followRedirects?: boolean}
---@return HttpResult|nil response
---@return string|nil err
function http.get(url, opts) end

---Connects to a ws:// or wss:// URL; wss:// trusts the system's CAs plus `ca` (PEM text or a path).
---@async
---@param url string
---@param opts? {timeout?: number, ca?: string}
---@return WebSocket|nil ws
---@return string|nil err
function http.websocket(url, opts) end

---A handler serving the files under dir: ETag/Last-Modified with 304s, Range (206/416; several
---ranges as multipart/byteranges, more than 16 get the whole file), HEAD,
---content types, index files; paths that leave dir (`..`, or a symbolic link out of it unless
---followSymlinks) get 403.
---Errors: raises when dir is not a folder or an option has the wrong type.
---@param dir string
---@param opts? {index?: string|false, followSymlinks?: boolean, maxAge?: integer}
---@return fun(req: HttpRequest, res: HttpResponse)
function http.static(dir, opts) end

---Parses a query string into a table (a repeated key gives a list).
---@param raw? string
---@return table<string, string|string[]>
function http.parseQuery(raw) end

return http
