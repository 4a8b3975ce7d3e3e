-- tinn.handle: the methods every closable IO object shares (tinn.net's streams, servers and UDP
-- sockets, tinn.process's pipes, tinn.http's servers and WebSockets). Such an object keeps its
-- userdata in `handle` (with close() and isClosed()) and its default timeout in `timeout`.
--
--   local handle = require("tinn.handle")
--   handle.addMethods(Stream, "stream", function(s)
--     return "TcpStream(" .. handle.hostPort(s.remoteAddress, s.remotePort) .. ")"
--   end)

local checkTimeout = require("tinn.check").timeout
local format = string.format

local handle = {}

--- handle.hostPort(host, port) -> "host:port" as people write it, "[::1]:80" for IPv6.
function handle.hostPort(host, port)
  if host:find(":", 1, true) then return format("[%s]:%d", host, port) end
  return format("%s:%d", host, port)
end

--- handle.addMethods(class, noun, describe [, opts]) defines
---   class:close()           releases the handle; tasks waiting on it get nil, "closed"; safe to repeat
---   class:isClosed()        true once closed (by either end, for a stream)
---   class:settimeout(ms)    the default timeout of the object's calls (errors name 'noun:settimeout')
---   class:__tostring()      describe(object)
--- opts.settimeout = false leaves settimeout out (objects whose calls take no default timeout);
--- opts.close = false leaves close out (objects whose close does more).
function handle.addMethods(class, noun, describe, opts)
  local settimeoutName = noun .. ":settimeout"
  if not opts or opts.close ~= false then
    function class:close() self.handle:close() end
  end
  function class:isClosed() return self.handle:isClosed() end
  if not opts or opts.settimeout ~= false then
    function class:settimeout(ms)
      checkTimeout(ms, 1, settimeoutName)
      self.timeout = ms
    end
  end
  class.__tostring = describe
end

return handle
