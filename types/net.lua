---@meta
-- Type definitions for tinn.net (docs/net.md).

---@class TcpStream
---@field localAddress string
---@field localPort integer
---@field remoteAddress string
---@field remotePort integer
---@field timeout? number default timeout (ms) of this stream's calls
local TcpStream = {}

---Reads up to `n` bytes (a number; default 64 KiB), a line ("l" without, "L" with its end of
---line) or everything until the peer closes ("a"). Returns nil at end of stream.
---Errors: raises on a bad format or timeout.
---@async
---@param pattern? integer|"l"|"L"|"a"
---@param timeoutMs? number
---@return string|nil data
---@return string|nil err "timeout", "closed" or "read '<addr>': <OS error>"
function TcpStream:read(pattern, timeoutMs) end

---Reads exactly `n` bytes (fewer only at end of stream).
---@async
---@param n integer
---@param timeoutMs? number
---@return string|nil data
---@return string|nil err
function TcpStream:readExactly(n, timeoutMs) end

---Iterates over lines until end of stream. Errors: the iterator raises if a read fails.
---@async
---@param timeoutMs? number
---@return fun(): string|nil
function TcpStream:lines(timeoutMs) end

---Writes a string, or `len` bytes of ffi memory at `data`. On timeout returns nil, "timeout" and
---how many bytes went out before it; the rest was not sent (write `data:sub(sent + 1)` to go on).
---Errors: raises if `data` is neither a string nor an ffi pointer, or `len` is missing.
---@async
---@param data string|ffi.cdata*
---@param lenOrTimeout? number
---@param timeoutMs? number
---@return integer|nil written
---@return string|nil err
---@return integer|nil sent bytes sent before a timeout
function TcpStream:write(data, lenOrTimeout, timeoutMs) end

---Closes the sending side; the peer reads end of stream.
---@return true|nil ok
---@return string|nil err
function TcpStream:shutdown() end

---@param ms? number
function TcpStream:settimeout(ms) end

---Closes the stream; tasks waiting on it get nil, "closed". Safe to repeat.
function TcpStream:close() end

---@return boolean
function TcpStream:isClosed() end

---@class TcpServer
---@field host string
---@field port integer
---@field timeout? number
local TcpServer = {}

---@async
---@param timeoutMs? number
---@return TcpStream|nil stream
---@return string|nil err
function TcpServer:accept(timeoutMs) end

---Accepts until the server is closed, running handler(stream) as a task per connection; the
---stream is closed when the handler returns. Handler errors are reported, not raised.
---Errors: raises if `handler` is not a function.
---@async
---@param handler fun(stream: TcpStream)
---@return true
function TcpServer:serve(handler) end

---@param ms? number
function TcpServer:settimeout(ms) end

function TcpServer:close() end

---@return boolean
function TcpServer:isClosed() end

---@class UdpSocket
---@field host string
---@field port integer
---@field timeout? number
local UdpSocket = {}

---@async
---@param data string
---@param host string
---@param port integer
---@param timeoutMs? number
---@return integer|nil sent
---@return string|nil err
function UdpSocket:sendto(data, host, port, timeoutMs) end

---Receives one datagram (truncated to `max` bytes, default 65536).
---@async
---@param max? integer
---@param timeoutMs? number
---@return string|nil data
---@return string host or the error when data is nil
---@return integer|nil port
function UdpSocket:receivefrom(max, timeoutMs) end

---@param ms? number
function UdpSocket:settimeout(ms) end

function UdpSocket:close() end

---@return boolean
function UdpSocket:isClosed() end

---@class tinn.net
local net = {}

---@class tinn.net.tcp
net.tcp = {}

---Connects; `timeout` bounds the attempt and becomes the stream's default timeout.
---Errors: raises on a non-string host, a port outside 0-65535 or a bad timeout.
---@async
---@param host string
---@param port integer
---@param opts? {timeout?: number}
---@return TcpStream|nil stream
---@return string|nil err
function net.tcp.connect(host, port, opts) end

---Listens (port 0 picks a free port).
---Errors: raises on a non-string host, a port outside 0-65535 or a backlog outside 1-2147483647.
---@param host string
---@param port integer
---@param opts? {backlog?: integer, reuseport?: boolean, timeout?: number}
---@return TcpServer|nil server
---@return string|nil err
function net.tcp.listen(host, port, opts) end

---@class tinn.net.udp
net.udp = {}

---@param host string
---@param port integer
---@param opts? {timeout?: number}
---@return UdpSocket|nil socket
---@return string|nil err
function net.udp.bind(host, port, opts) end

return net
