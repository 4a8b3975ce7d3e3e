-- tinn.json: round trips, arrays vs objects, null, options, and errors that name the position
-- (decode) or the path (encode), raised at the caller's line.
local json = require("tinn.json")
assert(tinn.json == json, "tinn.json is the same module")

print(json.encode({ 1, 2.5, "x", true, false, json.null, { a = 1 }, {} }))
print(json.encode({ b = { c = { 1, 2 } }, a = "é\n\"q\"" }, { sortKeys = true }))
print(json.encode({ b = { 1, {} }, a = json.object() }, { pretty = true, sortKeys = true }))
print(json.encode(123456789012), json.encode(-0.5), json.encode(1e300), json.encode(2^53), json.encode("\0\1"))

local doc = json.decode([[ {"a": [1, 2, {"b": null}], "e": {}, "s": "\u00e9\ud83d\ude00", "n": -1.5e3} ]])
print(doc.a[3].b == json.null, #doc.a, doc.s, doc.n, json.encode(doc.e))
print(json.encode(json.decode("[]")), json.encode(json.decode("{}")), json.decode("null") == json.null)

-- property: random nested values survive encode -> decode -> encode unchanged
math.randomseed(11)
local function randomValue(depth)
  local kind = math.random(depth > 3 and 4 or 6)
  if kind == 1 then return math.random(-1e6, 1e6)
  elseif kind == 2 then return math.random() * 1e3
  elseif kind == 3 then return ("s%d\n\t\"%s"):format(math.random(100), string.char(math.random(32, 126)))
  elseif kind == 4 then return math.random(2) == 1
  elseif kind == 5 then
    local t = {}
    for i = 1, math.random(0, 5) do t[i] = randomValue(depth + 1) end
    return t
  else
    local t = json.object()
    for i = 1, math.random(0, 5) do t["k" .. i] = randomValue(depth + 1) end
    return t
  end
end
local same = 0
for _ = 1, 500 do
  local text = json.encode(randomValue(0), { sortKeys = true })
  if json.encode(json.decode(text), { sortKeys = true }) == text then same = same + 1 end
end
print("round trips unchanged", same)

local function try(fn, ...)
  local ok, err = pcall(fn, ...)
  print(ok, err)
end
-- (the calls below are not tail calls, so errors name the line that called json.*)
local cyclic = {}
cyclic.self = cyclic
try(function() local r = json.encode({ list = { cyclic } }) return r end)
try(function() local r = json.encode({ f = print }) return r end)
try(function() local r = json.encode({ 1, 2, x = 3 }) return r end)
try(function() local r = json.encode({ [1] = 1, [3] = 3 }) return r end)
try(function() local r = json.encode({ n = 0 / 0 }) return r end)
try(function() local r = json.encode("\255") return r end)
try(function() local r = json.decode('{"a": tru}') return r end)
try(function() local r = json.decode("[1, 2") return r end)
try(function() local r = json.decode('{"a": 1} extra') return r end)
try(function() local r = json.decode(("["):rep(300) .. ("]"):rep(300)) return r end)
local deep = {}
for _ = 1, 200 do deep = { deep } end
try(function() local r = json.encode(deep) return r end)
try(function() local r = json.decode(42) return r end)
-- regression: a table whose length operator sees a border at 4 but which also holds [7] must not
-- lose the 7 (it is refused as having holes), and objects larger than mlua's reference stack
-- encode (keys are not held as Lua references)
local holes = { 1, 2, nil, 4 }
holes[7] = 7
print(pcall(function() local r = json.encode(holes) return r end))
local big = {}
for i = 1, 20000 do big["k" .. i] = i end
local sorted = json.decode(json.encode(big, { sortKeys = true }))
print("20000 keys", sorted.k1, sorted.k20000)
-- issue 15.11: the depth limits agree (128 levels both ways), -0 keeps its sign, whole numbers
-- print as integers up to 2^63, and cdata is named by its C type
local function nested(n) return ("["):rep(n) .. ("]"):rep(n) end
local text128 = json.encode(json.decode(nested(128)))
print("128 levels both ways", text128 == nested(128), pcall(json.decode, nested(129)))
print("-0", json.encode(-0.0), json.encode({ -0.0, 0 }), 1 / json.decode(json.encode(-0.0)))
print("integers", json.encode(2^53 + 2), json.encode(2^62), json.encode(-2^63), json.encode(2^63))
local ffi = require("ffi")
try(function() local r = json.encode({ buf = ffi.new("uint8_t[4]") }) return r end)
try(function() local r = json.encode({ 1, 2, 3LL }) return r end)
