-- tinn.stream: the reading methods byte streams share (tinn.net's TCP streams, tinn.process's
-- pipes): read(n | "l" | "L" | "a" [, timeoutMs]), readExactly(n [, timeoutMs]), lines().
-- A stream object has `handle` (userdata whose read(kind, count) returns the result, or
-- PENDING and an operation id) and `timeout` (its default timeout, nil: wait forever).
--
--   require("tinn.stream").addReaders(Stream, "stream")   -- errors then name 'stream:read'
--
-- A class with a faster way to read passes it as `read(self, kind, count, timeoutMs)`, returning
-- what the read returns; the default, `readHandle` (exported for such a read to fall back on),
-- asks `handle:read`.

local check = require("tinn.check")
local await = require("tinn.reactor").await

local argError, checkTimeout = check.argError, check.timeout
local type, tostring, error, floor = type, tostring, error, math.floor

local DEFAULT_READ = 65536
local FORMATS = { l = "line", L = "linekeep", a = "all" }

local function readHandle(self, kind, count, timeoutMs)
  return await(timeoutMs or self.timeout, self.handle:read(kind, count))
end

--- addReaders(class, noun [, read]) defines class:read, class:readExactly and class:lines.
local function addReaders(class, noun, read)
  read = read or readHandle
  local readName, exactName, linesName = noun .. ":read", noun .. ":readExactly", noun .. ":lines"

  --- :read([n | "l" | "L" | "a" [, timeoutMs]]) -> string | nil at end of stream | nil, err
  --- A number reads up to n bytes (default 64 KiB) as soon as any arrive; "l" reads a line
  --- without its end-of-line, "L" with it; "a" reads until the other end closes.
  function class:read(pattern, timeoutMs)
    checkTimeout(timeoutMs, 2, readName)
    local kind, count
    if pattern == nil then
      kind, count = "upto", DEFAULT_READ
    elseif type(pattern) == "number" then
      if pattern < 1 or pattern ~= floor(pattern) then
        argError(1, readName, "byte count must be a positive integer, got " .. tostring(pattern))
      end
      kind, count = "upto", pattern
    elseif type(pattern) == "string" then
      kind = FORMATS[pattern:gsub("^%*", "")]
      if not kind then argError(1, readName, "format must be 'l', 'L', 'a' or a number, got '" .. pattern .. "'") end
    else
      argError(1, readName, "format must be 'l', 'L', 'a' or a number, got " .. type(pattern))
    end
    return read(self, kind, count, timeoutMs)
  end

  --- :readExactly(n [, timeoutMs]) -> n bytes | fewer at end of stream | nil, err
  function class:readExactly(n, timeoutMs)
    if type(n) ~= "number" or n < 1 or n ~= floor(n) then
      argError(1, exactName, "byte count must be a positive integer, got " .. tostring(n))
    end
    checkTimeout(timeoutMs, 2, exactName)
    return read(self, "exactly", n, timeoutMs)
  end

  --- for line in :lines() do ... end  (raises on a read error; ends at end of stream)
  function class:lines(timeoutMs)
    checkTimeout(timeoutMs, 1, linesName)
    return function()
      local line, err = self:read("l", timeoutMs)
      if line == nil and err ~= nil then error(linesName .. ": " .. err, 2) end
      return line
    end
  end
end

return { addReaders = addReaders, readHandle = readHandle }
