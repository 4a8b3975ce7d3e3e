-- tinn.net: TCP and UDP that suspend only the calling task (DESIGN.md §4).
--
--   local net = require("tinn.net")
--   local server = assert(net.tcp.listen("127.0.0.1", 0))
--   spawn(function() server:serve(function(conn) conn:write(conn:read("l") .. "\n") end) end)
--   local conn = assert(net.tcp.connect("127.0.0.1", server.port))
--   conn:write("hello\n") print(conn:read("l"))
--
-- Every call that can wait takes a trailing timeout in milliseconds (nil: the object's
-- `timeout`, set by `:settimeout(ms)` or the `timeout` option; nil there waits forever) and
-- returns nil, "timeout" when it expires. Failures return nil and a message naming the
-- operation and the address; IO on a closed object returns nil, "closed".

local native = ...
local ffi = require("ffi")
local reactor = require("tinn.reactor")

local await, awaitOp = reactor.await, reactor.awaitOp
local type, tostring, setmetatable, floor = type, tostring, setmetatable, math.floor
local format = string.format

local DEFAULT_BACKLOG = 511

local check = require("tinn.check")
local argError, checkTimeout, checkPort = check.argError, check.timeout, check.port

local function checkHost(host, n, fname, depth)
  if type(host) ~= "string" then argError(n, fname, "host string expected, got " .. type(host), (depth or 0) + 1) end
end

local handleMethods = require("tinn.handle")
local hostPort = handleMethods.hostPort
local streams = require("tinn.stream")
local readHandle = streams.readHandle

---------------------------------------------------------------------------------------------------
-- Streams
---------------------------------------------------------------------------------------------------

local Stream = {}
Stream.__index = Stream

-- Reads and writes that finish at once go through LuaJIT's FFI: no mlua call, and the trace
-- running the script goes on through them. What must wait (or failed) then takes the mlua way.
local ReadNow = ffi.typeof("struct { const char *data; size_t len; double op; }") -- as ReadNow in Rust
local readNow = ffi.cast(ffi.typeof("int (*)(void *, int, double, $ *, void *)", ReadNow), native.readNow)
local writeNow = ffi.cast("double (*)(void *, const char *, size_t)", native.writeNow)
local releaseSlot = ffi.cast("void (*)(void *)", native.releaseSlot)
local theReactor = ffi.cast("void *", native.reactor)
local NOT_NOW, PARKED = -1, 2
local READ_KINDS = { upto = 0, exactly = 1, line = 2, linekeep = 3, all = 4 } -- as READ_KINDS in Rust
local readInto = ffi.new(ffi.typeof("$[1]", ReadNow)) -- copied into a string before anything else runs

local function wrapStream(handle, timeoutMs)
  local localAddress, localPort, remoteAddress, remotePort, slot = handle:addresses()
  return setmetatable({
    handle = handle, timeout = timeoutMs,
    localAddress = localAddress, localPort = localPort,
    remoteAddress = remoteAddress, remotePort = remotePort,
    -- holds its own reference to what it points to, dropped when it is collected
    slot = ffi.gc(ffi.cast("void *", slot), releaseSlot),
  }, Stream)
end

local function readStream(self, kind, count, timeoutMs)
  local got = readNow(self.slot, READ_KINDS[kind], count or 0, readInto, theReactor)
  if got == 1 then return ffi.string(readInto[0].data, readInto[0].len) end
  if got == 0 then return nil end
  if got == PARKED then return awaitOp(readInto[0].op, timeoutMs or self.timeout) end
  return readHandle(self, kind, count, timeoutMs)
end

streams.addReaders(Stream, "stream", readStream)

-- Writes `len` bytes at `pointer` (of a string or an ffi buffer): what the socket takes now
-- through the FFI, the rest through `writePointer`, which parks.
local function writeBytes(self, pointer, len, timeoutMs)
  local sent = writeNow(self.slot, pointer, len)
  if sent == len then return len end
  if sent == NOT_NOW then sent = 0 end
  local address = tonumber(ffi.cast("uintptr_t", pointer)) + sent
  return await(nil, self.handle:writePointer(address, len - sent, timeoutMs or self.timeout, sent))
end

--- stream:write(s [, timeoutMs]) or stream:write(ptr, len [, timeoutMs]) -> bytes written | nil, err
--- An ffi pointer is written from its memory without making a Lua string. On timeout:
--- nil, "timeout", bytes already sent (the rest was not sent; write it again to go on).
function Stream:write(data, a, b)
  local kind = type(data)
  if kind == "string" or kind == "number" then
    checkTimeout(a, 2, "stream:write")
    data = tostring(data)
    return writeBytes(self, data, #data, a)
  elseif kind == "cdata" then
    if type(a) ~= "number" or a < 0 or a ~= floor(a) then
      argError(2, "stream:write", "length must be a non-negative integer, got " .. tostring(a))
    end
    checkTimeout(b, 3, "stream:write")
    -- an array knows its size: writing past its end would send whatever memory follows
    if check.cdataKind(data) == "array" and a > ffi.sizeof(data) then
      argError(2, "stream:write", format("length %s exceeds the array's %d bytes", tostring(a), ffi.sizeof(data)))
    end
    if data == nil and a > 0 then argError(1, "stream:write", "NULL pointer") end
    return writeBytes(self, ffi.cast("const char *", data), a, b)
  end
  argError(1, "stream:write", "string or ffi pointer expected, got " .. kind)
end

--- stream:shutdown() closes the sending side (the peer reads end of stream); reads still work.
function Stream:shutdown() return self.handle:shutdown() end

-- stream:settimeout(ms | nil), stream:close() (tasks waiting on it get nil, "closed"), isClosed()
handleMethods.addMethods(Stream, "stream", function(self)
  return format("TcpStream(%s)", hostPort(self.remoteAddress, self.remotePort))
end)

---------------------------------------------------------------------------------------------------
-- Servers
---------------------------------------------------------------------------------------------------

local Server = {}
Server.__index = Server

-- How long server:serve rests when accepting fails (out of descriptors): retrying at once
-- would spin a core, and connections that close meanwhile free descriptors.
local ACCEPT_BACKOFF_MS = 100

--- server:accept([timeoutMs]) -> stream | nil, err
function Server:accept(timeoutMs)
  checkTimeout(timeoutMs, 1, "server:accept")
  local handle, err = await(timeoutMs or self.timeout, self.handle:accept())
  if not handle then return nil, err end
  return wrapStream(handle)
end

local function reportHandlerError(conn, err)
  io.stderr:write(format("tinn: error in connection handler for %s: %s\n",
    hostPort(conn.remoteAddress, conn.remotePort), tostring(err)))
end

local function serveConnection(handler, conn)
  local ok, err = xpcall(handler, reactor.traceback, conn)
  if not ok then reportHandlerError(conn, err) end
  conn:close()
end

--- server:serve(handler) accepts connections until the server is closed, running
--- handler(stream) as a task per connection; the stream is closed when the handler returns.
--- A handler that raises is reported with the peer's address; the server keeps serving.
function Server:serve(handler)
  if type(handler) ~= "function" then argError(1, "server:serve", "function expected, got " .. type(handler)) end
  local warned = false
  while not self.handle:isClosed() do
    local conn, err = await(nil, self.handle:accept())
    if conn then
      spawn(serveConnection, handler, wrapStream(conn))
    elseif err == "closed" then
      break
    else
      -- out of descriptors and the like: say so once, let connections close, keep serving
      if not warned then
        warned = true
        io.stderr:write(format("tinn: %s: new connections wait until some close (said once)\n", err))
      end
      sleep(ACCEPT_BACKOFF_MS)
    end
  end
  return true
end

handleMethods.addMethods(Server, "server", function(self)
  return format("TcpServer(%s)", hostPort(self.host, self.port))
end)

---------------------------------------------------------------------------------------------------
-- UDP
---------------------------------------------------------------------------------------------------

local Socket = {}
Socket.__index = Socket

--- socket:sendto(data, host, port [, timeoutMs]) -> bytes sent | nil, err
function Socket:sendto(data, host, port, timeoutMs)
  if type(data) ~= "string" then argError(1, "socket:sendto", "string expected, got " .. type(data)) end
  checkHost(host, 2, "socket:sendto")
  checkPort(port, 3, "socket:sendto")
  checkTimeout(timeoutMs, 4, "socket:sendto")
  return await(timeoutMs or self.timeout, self.handle:sendto(data, host, port))
end

--- socket:receivefrom([max [, timeoutMs]]) -> data, host, port | nil, err
function Socket:receivefrom(max, timeoutMs)
  if max ~= nil and (type(max) ~= "number" or max < 1) then
    argError(1, "socket:receivefrom", "max must be a positive number, got " .. tostring(max))
  end
  checkTimeout(timeoutMs, 2, "socket:receivefrom")
  return await(timeoutMs or self.timeout, self.handle:receivefrom(max))
end

handleMethods.addMethods(Socket, "socket", function(self)
  return format("UdpSocket(%s)", hostPort(self.host, self.port))
end)

---------------------------------------------------------------------------------------------------
-- Constructors
---------------------------------------------------------------------------------------------------

local tcp, udp = {}, {}

-- Accepts (host, port, opts) or one table {host=, port=, ...}.
local function endpoint(fname, host, port, opts)
  if type(host) == "table" and port == nil then
    opts = host
    host, port = opts.host, opts.port
  end
  checkHost(host, 1, fname, 1)
  checkPort(port, 2, fname, 1)
  if opts ~= nil and type(opts) ~= "table" then
    argError(3, fname, "options table expected, got " .. type(opts), 1)
  end
  return host, port, opts or {}
end

--- tcp.connect(host, port [, {timeout}]) -> stream | nil, err
--- `timeout` bounds the connection attempt and becomes the stream's default timeout.
function tcp.connect(host, port, opts)
  host, port, opts = endpoint("tcp.connect", host, port, opts)
  checkTimeout(opts.timeout, 3, "tcp.connect")
  local handle, err = await(opts.timeout, native.tcpConnect(host, port))
  if not handle then return nil, err end
  return wrapStream(handle, opts.timeout)
end

--- tcp.listen(host, port [, {backlog, reuseport, timeout}]) -> server | nil, err
--- Port 0 picks a free port (see server.port). `reuseport` lets several workers share a port.
function tcp.listen(host, port, opts)
  host, port, opts = endpoint("tcp.listen", host, port, opts)
  local backlog = check.integer(opts.backlog or DEFAULT_BACKLOG, 3, "tcp.listen", "backlog", 1, check.INT_MAX)
  checkTimeout(opts.timeout, 3, "tcp.listen")
  local handle, err = native.tcpListen(host, port, backlog, opts.reuseport == true)
  if not handle then return nil, err end
  local boundHost, boundPort = handle:address()
  return setmetatable({ handle = handle, host = boundHost, port = boundPort, timeout = opts.timeout }, Server)
end

--- udp.bind(host, port [, {timeout}]) -> socket | nil, err   (port 0 picks a free port)
function udp.bind(host, port, opts)
  host, port, opts = endpoint("udp.bind", host, port, opts)
  checkTimeout(opts.timeout, 3, "udp.bind")
  local handle, err = native.udpBind(host, port)
  if not handle then return nil, err end
  local boundHost, boundPort = handle:address()
  return setmetatable({ handle = handle, host = boundHost, port = boundPort, timeout = opts.timeout }, Socket)
end

return { tcp = tcp, udp = udp }
