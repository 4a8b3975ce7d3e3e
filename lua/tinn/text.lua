-- tinn.text: UTF-8 <-> UTF-16 conversion for ffi buffers, with TINN's names.
--
--   local text = require("tinn.text")
--   local buf, n = text.toUnicode("héllo €")   -- uint16_t[n + 1], NUL-terminated; n code units
--   print(text.toAnsi(buf, n))                  -- "héllo €" again (UTF-8)
--   print(text.toAnsi(buf))                     -- without a length: up to the NUL
--
-- "Unicode" means UTF-16 in native byte order, as Windows' wide strings; characters outside
-- the BMP become surrogate pairs. "Ansi" is UTF-8 here (TINN used the Windows code page).
-- Both directions are strict: overlong forms, encoded surrogates, code points above U+10FFFF,
-- truncated sequences and unpaired surrogates raise an error naming the position.

local ffi = require("ffi")
local bit = require("bit")

local band, bor, rshift, lshift = bit.band, bit.bor, bit.rshift, bit.lshift
local type, error, tostring, tonumber = type, error, tostring, tonumber
local format = string.format

local u8ptr = ffi.typeof("const uint8_t *")
local u16ptr = ffi.typeof("const uint16_t *")
local u16buf = ffi.typeof("uint16_t[?]")
local u8buf = ffi.typeof("uint8_t[?]")

local cdataKind = require("tinn.check").cdataKind

local function check_length(fname, len, what)
  if type(len) == "cdata" then
    len = tonumber(len)
  end
  if type(len) ~= "number" or len < 0 or len ~= math.floor(len) then
    error(format("%s: %s must be a non-negative integer, got %s", fname, what, tostring(len)), 3)
  end
  return len
end

-------------------------------------------------------------------------------
-- UTF-8 -> UTF-16
-------------------------------------------------------------------------------

local function bad_utf8(pos, why)
  error(format("toUnicode: invalid UTF-8 at byte %d: %s", pos + 1, why), 4)
end

-- Decodes the sequence at p[i] (0-based) of a buffer of len bytes: code point, its size.
local function decode_utf8(p, i, len)
  local c = p[i]
  if c < 0x80 then
    return c, 1
  elseif c < 0xC2 then
    if c < 0xC0 then
      bad_utf8(i, format("unexpected continuation byte 0x%02X", c))
    end
    bad_utf8(i, format("overlong encoding (lead byte 0x%02X)", c))
  end
  local size, lo, hi = 2, 0x80, 0xBF
  if c >= 0xF5 then
    bad_utf8(i, format("invalid byte 0x%02X", c))
  elseif c >= 0xF0 then
    size = 4
    if c == 0xF0 then
      lo = 0x90 -- below: overlong
    elseif c == 0xF4 then
      hi = 0x8F -- above: beyond U+10FFFF
    end
  elseif c >= 0xE0 then
    size = 3
    if c == 0xE0 then
      lo = 0xA0 -- below: overlong
    elseif c == 0xED then
      hi = 0x9F -- above: UTF-16 surrogates, which UTF-8 must not carry
    end
  end
  if i + size > len then
    bad_utf8(i, "truncated sequence")
  end
  local c1 = p[i + 1]
  if c1 < lo or c1 > hi then
    if c1 >= 0x80 and c1 <= 0xBF then
      if c == 0xED then
        bad_utf8(i, "encoded UTF-16 surrogate")
      elseif c == 0xF4 then
        bad_utf8(i, "code point above U+10FFFF")
      end
      bad_utf8(i, "overlong encoding")
    end
    bad_utf8(i, "truncated sequence")
  end
  if size == 2 then
    return bor(lshift(band(c, 0x1F), 6), band(c1, 0x3F)), 2
  end
  local c2 = p[i + 2]
  if c2 < 0x80 or c2 > 0xBF then
    bad_utf8(i, "truncated sequence")
  end
  if size == 3 then
    return bor(lshift(band(c, 0x0F), 12), lshift(band(c1, 0x3F), 6), band(c2, 0x3F)), 3
  end
  local c3 = p[i + 3]
  if c3 < 0x80 or c3 > 0xBF then
    bad_utf8(i, "truncated sequence")
  end
  return bor(lshift(band(c, 0x07), 18), lshift(band(c1, 0x3F), 12), lshift(band(c2, 0x3F), 6), band(c3, 0x3F)), 4
end

--- toUnicode(s [, len]) -> buf, n: converts UTF-8 to UTF-16. `s` is a Lua string (len defaults
--- to #s) or a cdata pointer/array of bytes (len defaults to the bytes before the first NUL,
--- within the array's size). Returns a NUL-terminated uint16_t[n + 1] and n, the number of
--- code units. Aliases: toUtf16.
--- Errors: raises "toUnicode: invalid UTF-8 at byte <k>: <why>" on malformed input.
---   local w, n = text.toUnicode("a€𝄞")   --> n == 4 (𝄞 is a surrogate pair)
local function toUnicode(s, len)
  local p
  local t = type(s)
  if t == "string" then
    if len == nil then
      len = #s
    else
      len = check_length("toUnicode", len, "len")
      if len > #s then
        error(format("toUnicode: len (%d) is larger than the string (%d bytes)", len, #s), 2)
      end
    end
    p = ffi.cast(u8ptr, s)
  elseif t == "cdata" and cdataKind(s) then
    p = ffi.cast(u8ptr, s)
    if len == nil then
      local limit = cdataKind(s) == "array" and ffi.sizeof(s) or math.huge
      len = 0
      while len < limit and p[len] ~= 0 do
        len = len + 1
      end
    else
      len = check_length("toUnicode", len, "len")
    end
  else
    error("toUnicode: expected a string or a cdata pointer, got " .. (t == "cdata" and tostring(ffi.typeof(s)) or t), 2)
  end

  -- first pass: validate and count code units
  local units, i = 0, 0
  while i < len do
    local cp, size = decode_utf8(p, i, len)
    units = units + (cp >= 0x10000 and 2 or 1)
    i = i + size
  end

  local buf = u16buf(units + 1) -- zero-filled: buf[units] is the NUL
  local k = 0
  i = 0
  while i < len do
    local cp, size = decode_utf8(p, i, len)
    if cp >= 0x10000 then
      cp = cp - 0x10000
      buf[k] = 0xD800 + rshift(cp, 10)
      buf[k + 1] = 0xDC00 + band(cp, 0x3FF)
      k = k + 2
    else
      buf[k] = cp
      k = k + 1
    end
    i = i + size
  end
  return buf, units
end

-------------------------------------------------------------------------------
-- UTF-16 -> UTF-8
-------------------------------------------------------------------------------

-- reused output buffer; one Lua state runs on one thread
local scratch, scratch_size = nil, 0

local function scratch_buffer(size)
  if size > scratch_size then
    scratch_size = math.max(size, scratch_size * 2, 256)
    scratch = u8buf(scratch_size)
  end
  return scratch
end

--- toAnsi(ptr [, len]) -> string: converts UTF-16 code units to a UTF-8 Lua string. `ptr` is a
--- cdata pointer or array of 16-bit units (wchar_t on Windows, uint16_t elsewhere), or a Lua
--- string holding raw UTF-16 in native byte order. len counts code units; without it the text
--- ends at the first NUL unit (or the end of an array or string). Aliases: toUtf8.
--- Errors: raises "toAnsi: unpaired surrogate 0xD800 at code unit <k>" on invalid UTF-16.
---   print(text.toAnsi(text.toUnicode("hello")))   --> hello
local function toAnsi(src, len)
  local p, limit
  local t = type(src)
  if t == "string" then
    if #src % 2 ~= 0 then
      error(format("toAnsi: a UTF-16 string needs an even number of bytes, got %d", #src), 2)
    end
    p, limit = ffi.cast(u16ptr, src), #src / 2
  elseif t == "cdata" and cdataKind(src) then
    p = ffi.cast(u16ptr, src)
    limit = cdataKind(src) == "array" and math.floor(ffi.sizeof(src) / 2) or math.huge
  else
    error("toAnsi: expected a cdata pointer to UTF-16 code units, got "
      .. (t == "cdata" and tostring(ffi.typeof(src)) or t), 2)
  end
  if len == nil then
    if t == "string" then
      len = limit
    else
      len = 0
      while len < limit and p[len] ~= 0 do
        len = len + 1
      end
    end
  else
    len = check_length("toAnsi", len, "len")
    if len > limit then
      error(format("toAnsi: len (%d) is larger than the buffer (%d code units)", len, limit), 2)
    end
  end

  if len == 0 then
    return ""
  end
  local out = scratch_buffer(len * 3) -- a unit takes at most 3 bytes; a pair 4 bytes for 2 units
  local k, i = 0, 0
  while i < len do
    local u = p[i]
    if u < 0x80 then
      out[k] = u
      k = k + 1
    elseif u < 0x800 then
      out[k] = bor(0xC0, rshift(u, 6))
      out[k + 1] = bor(0x80, band(u, 0x3F))
      k = k + 2
    elseif u < 0xD800 or u > 0xDFFF then
      out[k] = bor(0xE0, rshift(u, 12))
      out[k + 1] = bor(0x80, band(rshift(u, 6), 0x3F))
      out[k + 2] = bor(0x80, band(u, 0x3F))
      k = k + 3
    else
      local u2 = i + 1 < len and p[i + 1] or 0
      if u > 0xDBFF or u2 < 0xDC00 or u2 > 0xDFFF then
        error(format("toAnsi: unpaired surrogate 0x%04X at code unit %d", u, i + 1), 2)
      end
      local cp = 0x10000 + lshift(u - 0xD800, 10) + (u2 - 0xDC00)
      out[k] = bor(0xF0, rshift(cp, 18))
      out[k + 1] = bor(0x80, band(rshift(cp, 12), 0x3F))
      out[k + 2] = bor(0x80, band(rshift(cp, 6), 0x3F))
      out[k + 3] = bor(0x80, band(cp, 0x3F))
      k = k + 4
      i = i + 1
    end
    i = i + 1
  end
  return ffi.string(out, k)
end

return {
  toUnicode = toUnicode,
  toAnsi = toAnsi,
  toUtf16 = toUnicode,
  toUtf8 = toAnsi,
}
