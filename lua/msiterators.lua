-- msiterators: multi-strings as Lua strings, narrow (bytes/UTF-8) and wide (UTF-16).
--
--   local ms = require("msiterators")
--   for _, s in ms.mstrziter("big\0boy\0\0") do print(s) end          --> big, boy
--   for _, s in ms.mstriter("a,b,c", ",") do print(s) end              --> a, b, c
--   local w = require("tinn.text").toUnicode("Hello World")
--   for _, s in ms.wmstriter(w, " ") do print(s) end                   --> Hello, World
--
-- Every function returns a stateless iterator triple (gen, param, state) whose values are Lua
-- strings, so it composes with `fun`. Wide records are converted with tinn.text.toAnsi (UTF-16
-- to UTF-8) and raise its errors on invalid UTF-16.
--
--   * mstrziter / wmstrziter read a double-NUL-terminated multi-string ("a\0b\0\0", as in
--     Windows environment blocks and REG_MULTI_SZ): NUL-separated strings ending at the first
--     empty one (or at the end of the data). datalength may be left out even for a pointer.
--   * mstriter / wmstriter split one string at a separator, with striter's rules: "a,,b" gives
--     "a", "", "b"; a trailing separator adds no empty string. For an ffi pointer or array
--     without datalength the string ends at its first NUL (as a C string).
-- datalength always counts BYTES, as in striter; a Lua string given to the wide functions holds
-- raw UTF-16 in native byte order.

local ffi = require("ffi")
local striter = require("striter").striter
local text = require("tinn.text")

local type, tostring, tonumber, error, floor, format = type, tostring, tonumber, error, math.floor, string.format
local toAnsi, ffistring = text.toAnsi, ffi.string

local u8ptr = ffi.typeof("const uint8_t *")
local u16ptr = ffi.typeof("const uint16_t *")

local cdataKind = require("tinn.check").cdataKind

-- Resolves data/datalength for element size `size` (1 or 2): the element pointer and the
-- number of elements, or math.huge when the end is to be found by scanning.
-- `until_nul`: for cdata without datalength, stop at the first NUL element.
local function buffer(fname, data, datalength, size, until_nul)
  local ptrtype = size == 1 and u8ptr or u16ptr
  if type(datalength) == "cdata" then
    datalength = tonumber(datalength)
  end
  if datalength ~= nil and (type(datalength) ~= "number" or datalength < 0 or datalength ~= floor(datalength)) then
    error(format("%s: datalength must be a non-negative integer (bytes), got %s", fname, tostring(datalength)), 3)
  end
  local p, limit
  local t = type(data)
  if t == "string" then
    if datalength ~= nil and datalength > #data then
      error(format("%s: datalength (%d) is larger than the string (%d bytes)", fname, datalength, #data), 3)
    end
    p, limit = ffi.cast(ptrtype, data), datalength or #data
    if limit % size ~= 0 then
      error(format("%s: a UTF-16 string needs an even number of bytes, got %d", fname, limit), 3)
    end
    return p, limit / size
  elseif t == "cdata" and cdataKind(data) then
    p = ffi.cast(ptrtype, data)
    if datalength ~= nil then
      if cdataKind(data) == "array" and datalength > ffi.sizeof(data) then
        error(format("%s: datalength (%d) is larger than the array (%d bytes)", fname, datalength, ffi.sizeof(data)), 3)
      end
      if datalength % size ~= 0 then
        error(format("%s: datalength (%d) is not a multiple of %d", fname, datalength, size), 3)
      end
      return p, datalength / size
    end
    limit = cdataKind(data) == "array" and floor(ffi.sizeof(data) / size) or math.huge
    if until_nul then
      local n = 0
      while n < limit and p[n] ~= 0 do
        n = n + 1
      end
      return p, n
    end
    return p, limit
  end
  error(format("%s: data must be a string or ffi pointer, got %s", fname,
    t == "cdata" and tostring(ffi.typeof(data)) or t), 3)
end

local function separator_value(fname, separator)
  if type(separator) == "string" and #separator == 1 then
    return separator:byte()
  elseif type(separator) == "number" and separator == floor(separator) and separator >= 0 then
    return separator
  end
  error(format("%s: separator must be one character or a non-negative integer, got %s", fname,
    tostring(separator)), 3)
end

-- param: p (element pointer), n (elements), sep, conv (ptr, len -> string), data (kept alive)
-- The separator scans below repeat striter's separated_gen on purpose (a JIT specialisation:
-- see there).
local function split_gen(param, idx)
  local n = param.n
  if idx >= n then
    return nil
  end
  local p, sep = param.p, param.sep
  local j = idx
  while j < n and p[j] ~= sep do
    j = j + 1
  end
  return j + 1, param.conv(p + idx, j - idx)
end

local function multi_gen(param, idx)
  local n = param.n
  if idx >= n then
    return nil
  end
  local p = param.p
  local j = idx
  while j < n and p[j] ~= 0 do
    j = j + 1
  end
  if j == idx then
    return nil -- the empty string that ends the list
  end
  return j + 1, param.conv(p + idx, j - idx)
end

--- mstriter(data, separator [, datalength]) -> iterator over the pieces of a narrow string
--- split at separator (a character or byte value), as Lua strings.
---   for _, s in mstriter("a b", " ") do print(s) end
-- A splitting iterator over elements of `size` bytes, each piece converted by `conv`.
local function splitter(fname, size, conv)
  return function(data, separator, datalength)
    local sep = separator_value(fname, separator)
    local p, n = buffer(fname, data, datalength, size, true)
    return split_gen, { p = p, n = n, sep = sep, conv = conv, data = data }, 0
  end
end

-- A multi-string iterator over elements of `size` bytes, each string converted by `conv`.
local function multiSplitter(fname, size, conv)
  return function(data, datalength)
    local p, n = buffer(fname, data, datalength, size, false)
    return multi_gen, { p = p, n = n, conv = conv, data = data }, 0
  end
end

local mstriter = splitter("mstriter", 1, ffistring)

--- mstrziter(data [, datalength]) -> iterator over the strings of a narrow double-NUL-terminated
--- multi-string.   for _, s in mstrziter("a\0b\0\0") do print(s) end
local mstrziter = multiSplitter("mstrziter", 1, ffistring)

--- wmstriter(data, separator [, datalength]) -> iterator over the pieces of a UTF-16 string
--- split at separator (a character or code unit), converted to UTF-8 Lua strings.
---   for _, s in wmstriter(text.toUnicode("Hello World"), " ") do print(s) end
local wmstriter = splitter("wmstriter", 2, toAnsi)

--- wmstrziter(data [, datalength]) -> iterator over the strings of a UTF-16 double-NUL-terminated
--- multi-string, converted to UTF-8 Lua strings.
local wmstrziter = multiSplitter("wmstrziter", 2, toAnsi)

return {
  striter = striter,
  mstriter = mstriter,
  mstrziter = mstrziter,
  wmstriter = wmstriter,
  wmstrziter = wmstrziter,
}
