-- tinn.check: argument checks shared by the module wrappers, worded as LuaJIT words its own
-- (`bad argument #2 to 'tcp.connect' (port must be an integer 0-65535, got 70000)`) and blamed
-- on the line that called the public function.
--
-- `level` counts like error()'s: how far the public function's caller is from the function
-- that calls these helpers. A check made directly in the public function needs none; a check
-- made in a helper of the public function passes 1 (one call deeper), and so on.

local error, format, type, tostring, floor, getmetatable = error, string.format, type, tostring, math.floor, getmetatable

local check = {}

--- check.argError(n, fname, message [, depth]) raises `bad argument #n to 'fname' (message)`.
function check.argError(n, fname, message, depth)
  error(format("bad argument #%d to '%s' (%s)", n, fname, message), 3 + (depth or 0))
end

local argError = check.argError

-- What a message says a wrong value was: a number as itself, anything else by its type.
local function shown(value)
  if type(value) == "number" then return tostring(value) end
  return type(value)
end

--- check.ms(ms, n, fname, what [, depth]): a non-negative number of milliseconds; `what` names it
--- (`duration`, `delay`, `period`, `timeout`).
function check.ms(ms, n, fname, what, depth)
  if type(ms) ~= "number" or ms ~= ms or ms < 0 then
    argError(n, fname, format("%s must be a non-negative number of milliseconds, got %s", what, shown(ms)),
      (depth or 0) + 1)
  end
end

--- check.timeout(ms, n, fname [, depth]): nil or a non-negative number of milliseconds.
function check.timeout(ms, n, fname, depth)
  if ms ~= nil and (type(ms) ~= "number" or ms ~= ms or ms < 0) then
    argError(n, fname, "timeout must be a non-negative number of milliseconds, got " .. shown(ms), (depth or 0) + 1)
  end
end

--- check.callable(fn, n, fname [, depth]): a function or a value with a __call metamethod.
function check.callable(fn, n, fname, depth)
  if type(fn) ~= "function" then
    local mt = getmetatable(fn)
    if not (type(mt) == "table" and mt.__call) then
      argError(n, fname, "function expected, got " .. type(fn), (depth or 0) + 1)
    end
  end
end

--- check.text(value, n, fname [, depth]): a string.
function check.text(value, n, fname, depth)
  if type(value) ~= "string" then argError(n, fname, "string expected, got " .. type(value), (depth or 0) + 1) end
end

--- check.data(value, n, fname [, depth]) -> string: what a write takes, a string or a number
--- (written as io.write writes it).
function check.data(value, n, fname, depth)
  local kind = type(value)
  if kind == "string" then return value end
  if kind ~= "number" then argError(n, fname, "string expected, got " .. kind, (depth or 0) + 1) end
  return tostring(value)
end

--- check.port(port, n, fname [, depth]): an integer 0-65535.
function check.port(port, n, fname, depth)
  if type(port) ~= "number" or port ~= floor(port) or port < 0 or port > 65535 then
    argError(n, fname, "port must be an integer 0-65535, got " .. tostring(port), (depth or 0) + 1)
  end
end

--- check.integer(value, n, fname, what, min, max [, depth]): an integer min-max. `what` names it
--- in the message: `bad argument #1 to 'http.serve' ('backlog' must be an integer 1-2147483647,
--- got 2147483648)`. Native code then never sees a value its Rust type cannot hold.
function check.integer(value, n, fname, what, min, max, depth)
  if type(value) ~= "number" or value ~= floor(value) or value < min or value > max then
    argError(n, fname, format("%s must be an integer %d-%d, got %s", what, min, max, tostring(value)), (depth or 0) + 1)
  end
  return value
end

--- check.cdataKind(v) -> "pointer" | "array" | nil: what an ffi value (cdata) points at, for the
--- functions that take a string or raw memory; an array knows its size, a pointer does not.
function check.cdataKind(v)
  local tail = tostring(require("ffi").typeof(v)):sub(-2)
  if tail == "*>" then return "pointer" end
  if tail == "]>" then return "array" end
  return nil
end

--- The largest value of a C int (listen backlogs, most counts handed to the OS).
check.INT_MAX = 2147483647

return check
