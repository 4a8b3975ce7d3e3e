-- JSON benchmark: tinn.json decode/encode MB/s on a generated ~16 MB document, against
-- dkjson (pure Lua, Debian's lua-dkjson, run by this same LuaJIT) when installed. bench/run
-- measures Node's JSON on the same file next to it. Usage: tinn bench/json.lua <file>
local json = require("tinn.json")
local path = assert(arg[1], "usage: tinn bench/json.lua <file to write the document to>")

math.randomseed(5)
local records = {}
for i = 1, 60000 do
  records[i] = {
    id = i, name = "user" .. i, email = ("user%d@example.com"):format(i), active = i % 3 == 0,
    score = math.random() * 1000, tags = { "a" .. i % 7, "b" .. i % 11, "c" }, address = {
      street = ("%d Main Street"):format(i), city = "Springfield", zip = ("%05d"):format(i % 99999) },
  }
end
local text = json.encode(records)
local file = assert(io.open(path, "wb"))
file:write(text)
file:close()
local mb = #text / 1e6

local function best(fn)
  local fastest = math.huge
  for _ = 1, 3 do
    local t0 = os.clock()
    fn()
    fastest = math.min(fastest, os.clock() - t0)
  end
  return fastest
end
local function report(name, seconds)
  print(("%-30s %8.1f MB/s"):format(name, mb / seconds))
end

local decoded
report("tinn.json decode", best(function() decoded = json.decode(text) end))
report("tinn.json encode", best(function() json.encode(decoded) end))
local ok, dkjson = pcall(require, "dkjson")
if ok then
  report("dkjson decode (pure Lua)", best(function() dkjson.decode(text) end))
  report("dkjson encode (pure Lua)", best(function() dkjson.encode(decoded) end))
else
  print("dkjson is not installed (apt-get install lua-dkjson): pure-Lua peer skipped")
end
