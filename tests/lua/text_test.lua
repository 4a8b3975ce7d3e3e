-- text_test: tinn.text UTF-8 <-> UTF-16 against independent reference encoders on seeded random
-- code points (ASCII, BMP, non-BMP as surrogate pairs), and every kind of invalid input.
--
--   LUA_PATH='lua/?.lua;;' luajit tests/lua/text_test.lua

local ffi = require("ffi")
local text = require("tinn.text")
local check_error = require("lib.checks").error

math.randomseed(42)

local function check(cond, msg)
  assert(cond, msg)
end


-- reference encoders, by arithmetic on code points
local function utf8_of(cp)
  if cp < 0x80 then
    return string.char(cp)
  elseif cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
  elseif cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
    0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local function utf16_of(cp, out)
  if cp < 0x10000 then
    out[#out + 1] = cp
  else
    local v = cp - 0x10000
    out[#out + 1] = 0xD800 + math.floor(v / 0x400)
    out[#out + 1] = 0xDC00 + v % 0x400
  end
end

local function random_code_point()
  local r = math.random(1, 4)
  if r == 1 then
    return math.random(1, 0x7F)
  elseif r == 2 then
    return math.random(0x80, 0x7FF)
  elseif r == 3 then
    local cp = math.random(0x800, 0xFFFD)
    if cp >= 0xD800 and cp <= 0xDFFF then
      cp = cp - 0x800 -- no surrogates in text
    end
    return cp
  end
  return math.random(0x10000, 0x10FFFF)
end

-------------------------------------------------------------------------------
-- round trips against the references
-------------------------------------------------------------------------------

for round = 1, 500 do
  local len = round <= 5 and round - 1 or math.random(0, 40)
  local pieces, units = {}, {}
  for i = 1, len do
    local cp = random_code_point()
    pieces[i] = utf8_of(cp)
    utf16_of(cp, units)
  end
  local s = table.concat(pieces)
  local buf, n = text.toUnicode(s)
  check(n == #units, string.format("round %d: %d code units, want %d", round, n, #units))
  check(ffi.sizeof(buf) == (n + 1) * 2, "round " .. round .. ": the buffer holds n units and a NUL")
  for i = 1, #units do
    check(buf[i - 1] == units[i], string.format("round %d: unit %d is 0x%04X, want 0x%04X", round, i, buf[i - 1],
      units[i]))
  end
  check(buf[n] == 0, "round " .. round .. ": NUL-terminated")
  check(text.toAnsi(buf, n) == s, "round " .. round .. ": toAnsi(buf, n) gives the string back")
  check(text.toAnsi(buf) == s, "round " .. round .. ": toAnsi(buf) stops at the NUL")
  check(text.toAnsi(ffi.cast("const uint16_t *", buf)) == s, "round " .. round .. ": toAnsi(pointer)")
  -- a Lua string of raw UTF-16 bytes
  check(text.toAnsi(ffi.string(buf, n * 2)) == s, "round " .. round .. ": toAnsi(UTF-16 bytes as a string)")
  -- input from an ffi byte buffer, with and without a length
  local bytes = ffi.new("uint8_t[?]", #s + 1)
  ffi.copy(bytes, s, #s)
  local buf2, n2 = text.toUnicode(bytes)
  check(n2 == n and text.toAnsi(buf2, n2) == s, "round " .. round .. ": toUnicode(byte array) up to its NUL")
  local buf3, n3 = text.toUnicode(ffi.cast("const char *", bytes), #s)
  check(n3 == n and text.toAnsi(buf3, n3) == s, "round " .. round .. ": toUnicode(pointer, len)")
end

do
  -- non-BMP characters become surrogate pairs
  local buf, n = text.toUnicode("𝄞")
  check(n == 2 and buf[0] == 0xD834 and buf[1] == 0xDD1E, "U+1D11E is D834 DD1E")
  buf, n = text.toUnicode("\u{10FFFF}")
  check(n == 2 and buf[0] == 0xDBFF and buf[1] == 0xDFFF, "U+10FFFF is DBFF DFFF")
  check(text.toAnsi(buf, n) == "\xF4\x8F\xBF\xBF", "U+10FFFF back to UTF-8")
  buf, n = text.toUnicode("")
  check(n == 0 and buf[0] == 0 and text.toAnsi(buf, 0) == "", "the empty string")
  buf, n = text.toUnicode("abc\0def")
  check(n == 7 and text.toAnsi(buf, n) == "abc\0def", "an embedded NUL is kept when the length is given")
  check(text.toAnsi(buf) == "abc", "without a length toAnsi stops at the NUL")
  buf, n = text.toUnicode("héllo", 3)
  check(n == 2 and text.toAnsi(buf, n) == "hé", "toUnicode(s, len) converts the first len bytes")
  check(text.toUtf16 == text.toUnicode and text.toUtf8 == text.toAnsi, "toUtf16/toUtf8 are aliases")
  -- the scratch buffer grows for long strings
  local long = string.rep("€𝄞a", 5000)
  local lb, ln = text.toUnicode(long)
  check(ln == 5000 * 4 and text.toAnsi(lb, ln) == long, "a long string round trip")
end

-------------------------------------------------------------------------------
-- invalid UTF-8
-------------------------------------------------------------------------------

do
  local cases = {
    { "\xFF", 1, "invalid byte 0xFF" },
    { "ab\xF5\x80\x80\x80", 3, "invalid byte 0xF5" },
    { "a\x80", 2, "unexpected continuation byte 0x80" },
    { "\xBF", 1, "unexpected continuation byte 0xBF" },
    { "\xC0\x80", 1, "overlong" },
    { "\xC1\xBF", 1, "overlong" },
    { "\xE0\x80\x80", 1, "overlong" },
    { "\xE0\x9F\xBF", 1, "overlong" },
    { "\xF0\x80\x80\x80", 1, "overlong" },
    { "\xF0\x8F\xBF\xBF", 1, "overlong" },
    { "\xED\xA0\x80", 1, "encoded UTF-16 surrogate" },
    { "x\xED\xBF\xBF", 2, "encoded UTF-16 surrogate" },
    { "\xF4\x90\x80\x80", 1, "code point above U+10FFFF" },
    { "\xC3", 1, "truncated sequence" },
    { "abc\xE2\x82", 4, "truncated sequence" },
    { "\xE2\x82a", 1, "truncated sequence" },
    { "\xF0\x9D\x84", 1, "truncated sequence" },
    { "\xF0\x9D\x84x", 1, "truncated sequence" },
    { "\xC3(", 1, "truncated sequence" },
  }
  for _, c in ipairs(cases) do
    check_error(string.format("toUnicode: invalid UTF-8 at byte %d: %s", c[2], c[3]),
      string.format("toUnicode(%q)", c[1]), text.toUnicode, c[1])
  end
  -- a valid sequence cut short by len
  check_error("toUnicode: invalid UTF-8 at byte 1: truncated sequence", "len inside a character", text.toUnicode,
    "€", 2)
  -- random corruption of valid text is either still valid or reported, never passed through
  for _ = 1, 300 do
    local pieces = {}
    for i = 1, math.random(1, 10) do
      pieces[i] = utf8_of(random_code_point())
    end
    local s = table.concat(pieces)
    local pos = math.random(1, #s)
    local corrupt = s:sub(1, pos - 1) .. string.char(math.random(0x80, 0xFF)) .. s:sub(pos + 1)
    local ok, buf, n = pcall(text.toUnicode, corrupt)
    if ok then
      check(text.toAnsi(buf, n) == corrupt, "corrupted but valid text round-trips")
    else
      check(tostring(buf):find("toUnicode: invalid UTF-8 at byte", 1, true),
        "corruption is reported: " .. tostring(buf))
    end
  end
  check_error("toUnicode: expected a string or a cdata pointer, got nil", "toUnicode(nil)", text.toUnicode, nil)
  check_error("toUnicode: len (9) is larger than the string (3 bytes)", "len too large", text.toUnicode, "abc", 9)
end

-------------------------------------------------------------------------------
-- invalid UTF-16
-------------------------------------------------------------------------------

do
  local function units(...)
    return ffi.new("uint16_t[?]", select("#", ...), ...), select("#", ...)
  end
  local cases = {
    { { 0xD800 }, 1, 0xD800, "a lone high surrogate at the end" },
    { { 0x41, 0xD83D }, 2, 0xD83D, "a high surrogate at the end after a letter" },
    { { 0xD800, 0x41 }, 1, 0xD800, "a high surrogate followed by a letter" },
    { { 0xD800, 0xD800 }, 1, 0xD800, "two high surrogates" },
    { { 0xDC00 }, 1, 0xDC00, "a lone low surrogate" },
    { { 0x41, 0xDFFF, 0x42 }, 2, 0xDFFF, "a low surrogate between letters" },
    { { 0xDC00, 0xD800 }, 1, 0xDC00, "a reversed pair" },
    { { 0xDC00, 0xDC01 }, 1, 0xDC00, "two low surrogates" },
  }
  for _, c in ipairs(cases) do
    local buf, n = units(unpack(c[1]))
    check_error(string.format("toAnsi: unpaired surrogate 0x%04X at code unit %d", c[3], c[2]), c[4], text.toAnsi,
      buf, n)
  end
  -- a pair split by len is unpaired too
  local pair = text.toUnicode("𝄞")
  check_error("toAnsi: unpaired surrogate 0xD834 at code unit 1", "len splits a pair", text.toAnsi, pair, 1)
  check_error("toAnsi: expected a cdata pointer to UTF-16 code units, got nil", "toAnsi(nil)", text.toAnsi, nil)
  check_error("toAnsi: a UTF-16 string needs an even number of bytes, got 3", "odd string", text.toAnsi, "abc")
  check_error("toAnsi: len (5) is larger than the buffer (3 code units)", "len past the array", text.toAnsi, pair, 5)
  check_error("toAnsi: len must be a non-negative integer", "negative len", text.toAnsi, pair, -1)
end

print("ok text")
