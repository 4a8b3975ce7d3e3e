-- striter: stateless, zero-copy iteration over ffi buffers (and Lua strings).
--
--   local striter = require("striter")
--   for _, ptr, len in striter{data = "a,b,,c", separator = ","} do
--     print(require("ffi").string(ptr, len))            --> a, b, (empty), c
--   end
--
-- striter{data, datalength, basetype, separator} returns an iterator triple (gen, param, state)
-- that composes with `fun` (`fun.each(print, striter{...})`). Each step yields (ptr, len):
--   * with a separator: one record per step, ptr pointing at its first element inside the
--     buffer and len counting its elements (not bytes). Records are delimited by the
--     separator; a separator ends the record before it, so "a,,b" gives "a", "", "b" and a
--     trailing separator adds no empty record at the end ("a," gives just "a"; "a,," gives
--     "a" and ""). A zero-length buffer gives nothing.
--   * without one: each element of `basetype` in turn, as (ptr, 1).
-- Nothing is copied; the pointers stay valid while `data` is alive (the triple's param keeps a
-- reference to it).
--
-- Fields (by name, or by position in this order):
--   data        a Lua string, or an ffi pointer or array
--   datalength  the buffer's size in BYTES; defaults to #data for a string and ffi.sizeof for
--               an array; required for a pointer
--   basetype    element type: a C type name or ctype; default "char". "wchar_t" means UTF-16
--               code units (uint16_t) on every OS: on Linux the C wchar_t is 32 bits wide, but
--               the wide strings tinn handles (Windows APIs, tinn.text) are UTF-16.
--   separator   an element value (number) or a one-character string; needs an integer
--               basetype of 1, 2 or 4 bytes. Character types compare unsigned, so 0xE9 matches.

local ffi = require("ffi")

local type, tostring, tonumber, error, pcall, setmetatable = type, tostring, tonumber, error, pcall, setmetatable
local floor, format = math.floor, string.format

-- unsigned types used to compare elements with the separator, by element size
local unsigned_ptr = {
  [1] = ffi.typeof("const uint8_t *"),
  [2] = ffi.typeof("const uint16_t *"),
  [4] = ffi.typeof("const uint32_t *"),
}

local cdataKind = require("tinn.check").cdataKind

local function fail(msg, ...)
  error("striter: " .. format(msg, ...), 3)
end

local function resolve_basetype(basetype)
  if basetype == nil then
    basetype = "char"
  end
  if basetype == "wchar_t" then
    basetype = "uint16_t"
  end
  if type(basetype) == "string" then
    local ok, ct = pcall(ffi.typeof, basetype)
    if not ok then
      error(format("striter: unknown basetype '%s'", basetype), 3)
    end
    return ct, basetype
  elseif type(basetype) == "cdata" then
    return basetype, tostring(basetype)
  end
  error(format("striter: basetype must be a C type name or ctype, got %s", type(basetype)), 3)
end

-- true for integer C types (char, intN_t, uintN_t, ...)
local function is_integer_type(ct)
  local ok, v = pcall(function()
    return tonumber(ffi.new(ct, 1.5))
  end)
  return ok and v == 1
end

-- with a separator: yields the record starting at element idx. The scan for the separator is
-- written out here and in msiterators' split_gen/multi_gen, not shared: a loop inside a called
-- function is not inlined into the caller's trace, and one shared scan cost 6% more
-- instructions splitting 1 MB (callgrind).
local function separated_gen(param, idx)
  local n = param.n
  if idx >= n then
    return nil
  end
  local p, sep = param.cmp, param.sep
  local j = idx
  while j < n and p[j] ~= sep do
    j = j + 1
  end
  return j + 1, param.base + idx, j - idx
end

-- without: yields element idx
local function element_gen(param, idx)
  if idx >= param.n then
    return nil
  end
  return idx + 1, param.base + idx, 1
end

--- striter{data, datalength, basetype, separator} -> gen, param, state (see the file header).
--- Errors: raises "striter: ..." naming the bad field, e.g. "striter: data must be a string or
--- ffi pointer, got nil", or a datalength missing for a pointer, too large for the data, or not
--- a multiple of the element size.
---   fun.each(function(p, n) print(ffi.string(p, n)) end, striter{data = "x;y", separator = ";"})
local function striter(params)
  if type(params) ~= "table" then
    fail("expected a table {data, datalength, basetype, separator}, got %s", type(params))
  end
  -- each field by name, else by position: {data, datalength, basetype, separator}
  local function field(name, position)
    local value = params[name]
    if value == nil then value = params[position] end
    return value
  end
  local data, datalength = field("data", 1), field("datalength", 2)
  local basetype, separator = field("basetype", 3), field("separator", 4)

  local ct, typename = resolve_basetype(basetype)
  local size = ffi.sizeof(ct)
  if size == nil or size == 0 then
    fail("basetype '%s' has no fixed size", typename)
  end

  if type(datalength) == "cdata" then
    datalength = tonumber(datalength)
  end
  if datalength ~= nil and (type(datalength) ~= "number" or datalength < 0 or datalength ~= floor(datalength)) then
    fail("datalength must be a non-negative integer (bytes), got %s", tostring(datalength))
  end

  local bytes
  local t = type(data)
  if t == "string" then
    if datalength ~= nil and datalength > #data then
      fail("datalength (%d) is larger than the string (%d bytes)", datalength, #data)
    end
    bytes = ffi.cast("const uint8_t *", data)
    datalength = datalength or #data
  elseif t == "cdata" and cdataKind(data) then
    local kind = cdataKind(data)
    if datalength == nil then
      if kind == "pointer" then
        fail("datalength is required when data is a pointer")
      end
      datalength = ffi.sizeof(data)
    elseif kind == "array" and datalength > ffi.sizeof(data) then
      fail("datalength (%d) is larger than the array (%d bytes)", datalength, ffi.sizeof(data))
    end
    bytes = ffi.cast("const uint8_t *", data)
  else
    fail("data must be a string or ffi pointer, got %s", t == "cdata" and tostring(ffi.typeof(data)) or t)
  end

  if datalength % size ~= 0 then
    fail("datalength (%d) is not a multiple of the size of %s (%d)", datalength, typename, size)
  end

  local param = {
    data = data, -- keeps the buffer alive as long as the iterator
    base = ffi.cast(ffi.typeof("const $ *", ct), bytes),
    n = datalength / size,
  }

  if separator == nil then
    return element_gen, param, 0
  end

  if type(separator) == "string" then
    if #separator ~= 1 then
      fail("separator must be one character or a number, got a string of %d characters", #separator)
    end
    separator = separator:byte()
  elseif type(separator) ~= "number" or separator ~= floor(separator) then
    fail("separator must be one character or an integer, got %s", tostring(separator))
  end
  if not unsigned_ptr[size] or not is_integer_type(ct) then
    fail("a separator needs an integer basetype of 1, 2 or 4 bytes, got %s", typename)
  end
  local range = 2 ^ (8 * size)
  if separator < 0 then
    separator = separator + range -- a negative value of a signed type
  end
  if separator < 0 or separator >= range then
    fail("separator %d does not fit in %s", separator, typename)
  end
  param.cmp = ffi.cast(unsigned_ptr[size], bytes)
  param.sep = separator
  return separated_gen, param, 0
end

return setmetatable({ striter = striter }, {
  __call = function(_, params)
    return striter(params)
  end,
})
