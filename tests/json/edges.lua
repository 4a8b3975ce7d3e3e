-- tinn.json edge cases (issue 18): what the C API encoder and the tape decoder must keep from
-- before — numbers, strings, escapes, UTF-8, nesting, table shapes, error precedence and texts.
local json = require("tinn.json")

local function show(fn, ...)
  local ok, result = pcall(fn, ...)
  if ok then print(result) else print("error: " .. tostring(result):gsub("^[^:]+:%d+: ", "")) end
end
local function encode(v, o) return json.encode(v, o) end
local function decode(t) return json.decode(t) end
local function roundTrip(t) return json.encode(json.decode(t)) end

print("-- numbers")
show(encode, { 0, -0.0, 1, -1, 0.1, 1 / 3, 1e308, -1e308, 5e-324, 2^53, 2^53 + 1, 2^63, -2^63, 123.456e10 })
show(roundTrip, "[12345678901234567890, -9223372036854775808, 1E2, 1e-400, -0, 0.0, 1.5e300]")
print("-0 decoded keeps its sign", 1 / json.decode("-0") == -math.huge, 1 / json.decode("-0.0") == -math.huge)
show(decode, "1e309")
for _, bad in ipairs({ "01", "1.", ".5", "+1", "NaN", "Infinity", "-", "1e", "0x10" }) do show(decode, bad) end
show(encode, { x = 1 / 0 })
show(encode, { x = -1 / 0 })

print("-- strings and escapes")
show(encode, "\0\b\f\n\r\t\31\127\"\\/é😀")
show(roundTrip, [["\u0000\u001f\u007f\u00e9\u20ac\ud83d\ude00\/\b\f\n\r\t\"\\"]])
show(decode, [["\ud83d"]])
show(decode, [["\ude00"]])
show(decode, [["\ud83dx"]])
show(decode, [["\u12"]])
show(decode, [["\q"]])
show(decode, "\"tab\there\"")
show(decode, "\"\255\"")
show(decode, "\"\192\128\"")
show(encode, { ok = "é", bad = "\192\128" })
show(encode, { ["\255"] = 1 })
show(encode, { "fine", "\237\160\128" })
-- long strings are escaped in pieces: escapes and multi-byte characters across the piece borders
local long = ("a\"é\n"):rep(3000)
print("long string round trip", json.decode(json.encode(long)) == long, #json.encode(long))
show(encode, ("x"):rep(5000) .. "\255")

print("-- nesting")
local function nested(n) return ("["):rep(n) .. ("]"):rep(n) end
print("128 deep", roundTrip(nested(128)) == nested(128))
show(decode, nested(129))
show(decode, ('{"a":'):rep(129) .. "1" .. ("}"):rep(129))
local deep = {}
for _ = 1, 127 do deep = { k = deep } end
print("128 deep objects encode", #json.encode(deep))
show(encode, { deep })

print("-- tables: arrays, objects, null, empty")
show(encode, {})
show(encode, json.object())
show(encode, json.object({ 1, 2 }))
show(encode, { json.null, json.null })
show(encode, { [1] = "a", [2] = "b", [3] = "c" })
local sparse = {}
sparse[3], sparse[2], sparse[1] = "c", "b", "a"
show(encode, sparse)
show(encode, { [1] = 1, [2] = 2, [4] = 4 })
show(encode, { [0] = 0, 1 })
show(encode, { [1.5] = 1 })
show(encode, { [-1] = 1 })
show(encode, { [true] = 1 })
show(encode, { [{}] = 1 })
print("null in arrays", #json.decode("[1, null, 3]"), json.decode("[1, null, 3]")[2] == json.null)
show(function() return json.encode(json.decode('{"a": {}, "b": [], "c": [{}], "d": {"e": {}}}'), { sortKeys = true }) end)
show(function() return json.encode(json.decode('{"a":1,"a":2}')) end)

print("-- error precedence: a table's own shape is reported before its items'")
show(encode, { print, x = 1 })
show(encode, { list = { print, x = 1 } })
show(encode, { a = print, [1.5] = 2 })
show(encode, { a = { b = print }, [true] = 1 })
show(encode, { a = { 1, 2, nil, 4 } })
local cyclic = { name = "loop" }
cyclic.items = { 1, cyclic }
show(encode, cyclic)
show(encode, { f = coroutine.create(print) })
show(encode, { u = newproxy and newproxy() or io.stdout })

print("-- options")
show(encode, { b = { 1, { c = json.object() } }, a = "x" }, { pretty = true, sortKeys = true })
show(encode, { z = 1, y = { x = 2, w = { 3 } }, ["é"] = 0, [""] = 4 }, { sortKeys = true })
show(encode, { b = 1 }, { sortKeys = 1 })
show(encode, { ["\255"] = 1, a = 2 }, { sortKeys = true })
-- a Lua error inside the C API work (here from the options' __index; out of memory takes the
-- same path) ends that call with the error, and the next call works
local failing = setmetatable({}, { __index = function(_, key) error("no option " .. key, 0) end })
show(encode, { 1 }, failing)
show(encode, { 1, { a = "b" } })

print("-- documents")
-- many objects with repeated keys (decode's key cache), keys longer than it holds, escaped keys
local rows = {}
for i = 1, 3000 do
  rows[i] = { id = i, ["name" .. i % 97] = "n" .. i, ["a rather long key that the cache skips " .. i % 3] = i,
    ["esc\"aped\n"] = i % 2 == 0, nested = { id = -i, tags = { "x", "y" } } }
end
local text = json.encode(rows, { sortKeys = true })
print("rows round trip", json.encode(json.decode(text), { sortKeys = true }) == text, #text)
show(decode, '{"a": 1, "b": [1, 2,], "c": 3}')
show(decode, '{"a": 1,}')
show(decode, '{"a" 1}')
show(decode, '{1: 2}')
show(decode, "[1, 2\n, 3\n, oops]")
show(decode, "  ")
show(decode, "[] []")
show(decode, '"unterminated')
