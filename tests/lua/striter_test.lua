-- striter_test: striter and msiterators on strings, ffi arrays and pointers, narrow and UTF-16;
-- the record rules (leading, trailing, consecutive separators, none, empty buffer) against a
-- plain-Lua reference on seeded random inputs; errors; composition with fun.
--
--   LUA_PATH='lua/?.lua;;' luajit tests/lua/striter_test.lua

local ffi = require("ffi")
local fun = require("fun")
local striter = require("striter")
local ms = require("msiterators")
local text = require("tinn.text")
local check_error = require("lib.checks").error

math.randomseed(42)

local function check(cond, msg)
  assert(cond, msg)
end

local function show(list)
  local parts = {}
  for i, v in ipairs(list) do
    parts[i] = string.format("%q", v)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function same_list(got, want, what)
  check(#got == #want, string.format("%s: got %s, want %s", what, show(got), show(want)))
  for i = 1, #want do
    check(got[i] == want[i], string.format("%s: got %s, want %s", what, show(got), show(want)))
  end
end


-- the records of a narrow striter as Lua strings, read with a plain for loop
local function records(params)
  local out = {}
  for _, ptr, len in striter(params) do
    out[#out + 1] = ffi.string(ptr, len)
  end
  return out
end

-- the documented rule: records end at a separator or at the end of the data; a separator at
-- the very end adds no empty record; an empty buffer has none
local function reference_split(s, sep)
  local out = {}
  local start = 1
  while start <= #s do
    local j = s:find(sep, start, true)
    if j == nil then
      out[#out + 1] = s:sub(start)
      break
    end
    out[#out + 1] = s:sub(start, j - 1)
    start = j + 1
  end
  return out
end

-------------------------------------------------------------------------------
-- separators
-------------------------------------------------------------------------------

do
  same_list(records { data = "a,b,c", separator = "," }, { "a", "b", "c" }, "no trailing separator")
  same_list(records { data = "a,b,c,", separator = "," }, { "a", "b", "c" }, "trailing separator")
  same_list(records { data = ",a,b", separator = "," }, { "", "a", "b" }, "leading separator")
  same_list(records { data = "a,,b", separator = "," }, { "a", "", "b" }, "consecutive separators")
  same_list(records { data = "a,,", separator = "," }, { "a", "" }, "two trailing separators")
  same_list(records { data = ",", separator = "," }, { "" }, "only a separator")
  same_list(records { data = ",,", separator = "," }, { "", "" }, "only separators")
  same_list(records { data = "abc", separator = "," }, { "abc" }, "no separator at all")
  same_list(records { data = "", separator = "," }, {}, "zero-length string")
  same_list(records { data = "a,b", separator = string.byte(",") }, { "a", "b" }, "separator as a number")
  same_list(records { "x;y;z", nil, "char", ";" }, { "x", "y", "z" }, "positional fields")
  same_list(records { data = "a,b,c", datalength = 3, separator = "," }, { "a", "b" }, "datalength cuts the string")
  same_list(records { data = "a\0b\0", separator = 0 }, { "a", "b" }, "NUL separator")
  -- bytes above 127 match although char is signed
  same_list(records { data = "x\233y\233", separator = 233 }, { "x", "y" }, "separator 0xE9 in char data")
  same_list(records { data = "x\233y", separator = -23 }, { "x", "y" }, "separator -23 is 0xE9 for char")

  -- the seed's example, with the empty record between the last two commas
  local src3 = "big,boy,baby,bear,bounces,basketballs,behind,the,barn,,"
  same_list(records { data = src3, basetype = "char", separator = string.byte(",") },
    { "big", "boy", "baby", "bear", "bounces", "basketballs", "behind", "the", "barn", "" }, "the seed's src3")

  -- ptr points into the data itself (zero copy) and len counts elements
  local s = "hello,world"
  local base = ffi.cast("const char *", s)
  local gen, param, state = striter { data = s, separator = "," }
  local st, ptr, len = gen(param, state)
  check(st == 6 and ptr == base and len == 5, "the first record points at the start of the data")
  st, ptr, len = gen(param, st)
  check(st == 12 and ptr == base + 6 and len == 5, "the second record points inside the data")
  check(gen(param, st) == nil, "then the iterator ends")
  -- stateless: the same triple again
  same_list(records { data = s, separator = "," }, { "hello", "world" }, "iterating again")
  local g2, p2, s2 = striter { data = s, separator = "," }
  local first, second = {}, {}
  for _, p, n in g2, p2, s2 do first[#first + 1] = ffi.string(p, n) end
  for _, p, n in g2, p2, s2 do second[#second + 1] = ffi.string(p, n) end
  same_list(second, first, "the same triple twice")
end

-- random strings over a small alphabet against the reference
for round = 1, 500 do
  local len = math.random(0, 30)
  local chars = {}
  for i = 1, len do
    local r = math.random(1, 3)
    chars[i] = r == 1 and "," or (r == 2 and "a" or "b")
  end
  local s = table.concat(chars)
  same_list(records { data = s, separator = "," }, reference_split(s, ","),
    "round " .. round .. " " .. string.format("%q", s))
  -- the same bytes in an ffi array and behind a pointer
  local arr = ffi.new("char[?]", math.max(len, 1))
  ffi.copy(arr, s, len)
  same_list(records { data = arr, datalength = len, separator = "," }, reference_split(s, ","),
    "round " .. round .. " (array)")
  same_list(records { data = ffi.cast("const uint8_t *", arr), datalength = len, basetype = "uint8_t",
    separator = "," }, reference_split(s, ","), "round " .. round .. " (uint8_t pointer)")
end

-------------------------------------------------------------------------------
-- fixed-size elements
-------------------------------------------------------------------------------

do
  local chars = {}
  for _, ptr, len in striter { data = "abc", basetype = "char" } do
    check(len == 1, "elements come with len 1")
    chars[#chars + 1] = string.char(ptr[0])
  end
  same_list(chars, { "a", "b", "c" }, "char elements")
  local arr = ffi.new("int32_t[4]", 10, -20, 30, 40)
  local values = {}
  for _, ptr in striter { data = arr, basetype = "int32_t" } do
    values[#values + 1] = tostring(ptr[0])
  end
  same_list(values, { "10", "-20", "30", "40" }, "int32_t elements of an array (datalength from ffi.sizeof)")
  local n = 0
  for _ in striter { data = arr, datalength = 0, basetype = "int32_t" } do n = n + 1 end
  check(n == 0, "zero-length buffer gives no element")
  n = 0
  for _ in striter { data = "" } do n = n + 1 end
  check(n == 0, "empty string gives no element")
  -- composes with fun
  check(fun.length(striter { data = "abcdef" }) == 6, "fun.length over striter")
  check(fun.sum(fun.map(function(p) return p[0] end, striter { data = arr, basetype = "int32_t" })) == 60,
    "fun.sum over int32_t elements")
  local ptrs = fun.totable(fun.map(function(p, len) return ffi.string(p, len) end,
    striter { data = "k=v;x=y", separator = ";" }))
  same_list(ptrs, { "k=v", "x=y" }, "fun.map over records")
end

-------------------------------------------------------------------------------
-- UTF-16 data: uint16_t and wchar_t (= uint16_t)
-------------------------------------------------------------------------------

do
  local w, n = text.toUnicode("Hello World, ünïcode 𝄞!")
  for _, basetype in ipairs({ "uint16_t", "wchar_t" }) do
    local words = {}
    for _, ptr, len in striter { data = w, datalength = n * 2, basetype = basetype, separator = " " } do
      words[#words + 1] = text.toAnsi(ptr, len)
    end
    same_list(words, { "Hello", "World,", "ünïcode", "𝄞!" }, "words of a UTF-16 string (" .. basetype .. ")")
  end
  -- datalength defaults to the whole array, including the terminating NUL unit
  local units = 0
  for _, ptr, len in striter { data = w, basetype = "uint16_t" } do
    check(len == 1, "one code unit per element")
    units = units + 1
    if units == n + 1 then
      check(ptr[0] == 0, "the array ends with its NUL")
    end
  end
  check(units == n + 1, "striter over the whole uint16_t array gives n + 1 units, got " .. units)
  -- separator values above 0x7FFF
  local u = ffi.new("uint16_t[5]", 0x41, 0xFFFF, 0x42, 0xFFFF, 0x43)
  local parts = {}
  for _, ptr, len in striter { data = u, basetype = "uint16_t", separator = 0xFFFF } do
    parts[#parts + 1] = text.toAnsi(ptr, len)
  end
  same_list(parts, { "A", "B", "C" }, "uint16_t separator 0xFFFF")
end

-------------------------------------------------------------------------------
-- errors name striter
-------------------------------------------------------------------------------

do
  check_error("striter: data must be a string or ffi pointer, got nil", "no data", striter, {})
  check_error("striter: data must be a string or ffi pointer, got number", "number data", striter, { data = 5 })
  check_error("striter: expected a table", "no table", striter, "abc")
  check_error("striter: datalength is required when data is a pointer", "pointer without length", striter,
    { data = ffi.cast("const char *", "abc") })
  check_error("striter: datalength (9) is larger than the string (3 bytes)", "too long for the string", striter,
    { data = "abc", datalength = 9 })
  check_error("striter: datalength (9) is larger than the array (4 bytes)", "too long for the array", striter,
    { data = ffi.new("char[4]"), datalength = 9 })
  check_error("striter: datalength (3) is not a multiple of the size of uint16_t (2)", "odd length", striter,
    { data = "abc", basetype = "uint16_t" })
  check_error("striter: datalength must be a non-negative integer", "negative length", striter,
    { data = "abc", datalength = -1 })
  check_error("striter: unknown basetype 'nope'", "bad type", striter, { data = "abc", basetype = "nope" })
  check_error("striter: separator must be one character", "two-character separator", striter,
    { data = "abc", separator = ",," })
  check_error("striter: a separator needs an integer basetype", "double separator", striter,
    { data = ffi.new("double[2]"), basetype = "double", separator = 1 })
  check_error("striter: separator 300 does not fit in char", "separator too large", striter,
    { data = "abc", separator = 300 })
end

-------------------------------------------------------------------------------
-- msiterators
-------------------------------------------------------------------------------

local function strings(g, p, s)
  local out = {}
  for _, v in g, p, s do
    out[#out + 1] = v
  end
  return out
end

-- a UTF-16 double-NUL multi-string from Lua strings
local function wide_multi(list)
  local units = {}
  for _, s in ipairs(list) do
    local w, n = text.toUnicode(s)
    for i = 0, n - 1 do units[#units + 1] = w[i] end
    units[#units + 1] = 0
  end
  units[#units + 1] = 0
  local buf = ffi.new("uint16_t[?]", #units)
  for i, u in ipairs(units) do buf[i - 1] = u end
  return buf, #units
end

do
  local src = "big\0boy\0baby\0bear\0bounces\0basketballs\0behind\0the\0barn\0\0"
  local words = { "big", "boy", "baby", "bear", "bounces", "basketballs", "behind", "the", "barn" }
  same_list(strings(ms.mstrziter(src)), words, "mstrziter over a Lua string")
  same_list(strings(ms.mstrziter(ffi.cast("const char *", src))), words, "mstrziter over a pointer, no length")
  same_list(strings(ms.mstrziter("a\0\0b\0\0")), { "a" }, "mstrziter stops at the first empty string")
  same_list(strings(ms.mstrziter("a\0b")), { "a", "b" }, "mstrziter stops at the end of the data")
  same_list(strings(ms.mstrziter("\0")), {}, "an empty multi-string")
  same_list(strings(ms.mstrziter("")), {}, "no data at all")
  same_list(fun.totable(fun.grep("^ba", ms.mstrziter(src))), { "baby", "basketballs", "barn" }, "grep over mstrziter")

  local src2 = "big\rboy\rbaby\rbear\r\r"
  same_list(fun.totable(fun.take(3, ms.mstriter(src2, string.byte("\r")))), { "big", "boy", "baby" },
    "take(3, mstriter)")
  same_list(strings(ms.mstriter(src2, "\r")), { "big", "boy", "baby", "bear", "" }, "mstriter keeps empty pieces")
  local cbuf = ffi.new("char[16]")
  ffi.copy(cbuf, "one two")
  same_list(strings(ms.mstriter(cbuf, " ")), { "one", "two" }, "mstriter over a char array ends at its NUL")

  local list = { "Hello", "wörld", "𝄞 clef", "end" }
  local wbuf, nunits = wide_multi(list)
  same_list(strings(ms.wmstrziter(wbuf)), list, "wmstrziter over an array")
  same_list(strings(ms.wmstrziter(ffi.cast("const uint16_t *", wbuf))), list, "wmstrziter over a pointer")
  same_list(strings(ms.wmstrziter(wbuf, nunits * 2)), list, "wmstrziter with datalength in bytes")

  -- the seed's wmstriter(whello, ' ')
  local whello = text.toUnicode("Hello World")
  same_list(strings(ms.wmstriter(whello, " ")), { "Hello", "World" }, "wmstriter(whello, ' ')")
  same_list(fun.totable(ms.wmstriter(whello, string.byte(" "))), { "Hello", "World" }, "fun over wmstriter")
  same_list(strings(ms.wmstriter(whello, " ", 10)), { "Hello" }, "wmstriter with a byte length")
  check(ms.striter == striter.striter, "msiterators re-exports striter")

  check_error("mstrziter: data must be a string or ffi pointer, got nil", "mstrziter(nil)", ms.mstrziter, nil)
  check_error("wmstriter: separator must be one character", "wmstriter without separator", ms.wmstriter, whello)
  check_error("wmstrziter: a UTF-16 string needs an even number of bytes", "odd UTF-16 string", ms.wmstrziter, "abc")
  -- a broken UTF-16 record raises toAnsi's error
  local broken = ffi.new("uint16_t[4]", 0x41, 0xD800, 0, 0)
  check_error("unpaired surrogate", "wmstrziter over a lone surrogate", function()
    return strings(ms.wmstrziter(broken))
  end)
end

print("ok striter")
