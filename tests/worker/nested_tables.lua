-- Nested tables (arrays, maps, mixed keys, shared subtables) round-trip equal; numbers exact.
local worker = require("tinn.worker")

local function deepEqual(a, b, path)
  path = path or "msg"
  if type(a) ~= type(b) then return false, path .. ": " .. type(a) .. " vs " .. type(b) end
  if type(a) ~= "table" then
    if a ~= a and b ~= b then return true end -- NaN
    if a == b and (a ~= 0 or 1 / a == 1 / b) then return true end
    return false, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
  end
  for k, v in pairs(a) do
    local ok, where = deepEqual(v, b[k], path .. "[" .. tostring(k) .. "]")
    if not ok then return false, where end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. "[" .. tostring(k) .. "] is extra" end
  end
  return true
end

local shared = { "shared" }
local msg = {
  1, 2, 3, "four", { 5, { 6, { 7 } } },
  name = "tinn", ["with space"] = true, [false] = "false key", [2.5] = "float key",
  numbers = { 0, -0.0, 2^53, -2^53, 2^63, 1e308, 5e-324, 0.1, 1/3, math.huge, -math.huge, 0/0, 42.5 },
  binary = "a\0b\255\n",
  empty = {},
  deep = { a = { b = { c = { d = { e = "bottom" } } } } },
  left = shared, right = shared, -- shared twice is fine (copied twice), unlike a cycle
  [{ "table key" }] = "ok",
}

local w = worker.spawn([[
  local worker = require("tinn.worker")
  local args = ...
  worker.post(worker.receive())   -- echo
  return args
]], { args = msg })
w:post(msg)
local back = w:receive()
local returned = w:join()
-- table keys come back as new tables, so compare everything else and check that one apart
local function withoutTableKeys(t)
  local copy = {}
  for k, v in pairs(t) do if type(k) ~= "table" then copy[k] = v end end
  return copy
end
local tableKey
for k, v in pairs(back) do if type(k) == "table" then tableKey = { k[1], v } end end
print("echo", deepEqual(withoutTableKeys(msg), withoutTableKeys(back)))
print("args", deepEqual(withoutTableKeys(msg), withoutTableKeys(returned)))
print("table key", tableKey[1], tableKey[2])
print("2^53 exact", back.numbers[3] == 9007199254740992, string.format("%.17g", back.numbers[8]))
print("scalars", select("#", w:join()))
local s = worker.spawn("return nil, false, true, 7, 'x'")
print("scalars", s:join())
