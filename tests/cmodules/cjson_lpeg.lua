-- Debian's lua-cjson and lua-lpeg (built for Lua 5.1, installed by .ci/run) load with a plain
-- require: tinn adds /usr/lib/<multiarch>/lua/5.1 to package.cpath when LUA_CPATH is unset.
local cjson = require("cjson")
local lpeg = require("lpeg")

-- cjson: round trip, and its own null
local text = cjson.encode({ list = { 1, 2, 3 } })
print(text)
local back = cjson.decode('{"name": "tinn", "tags": ["lua", "jit"], "none": null}')
print(back.name, back.tags[2], back.none == cjson.null)

-- lpeg: a small grammar that sums a comma-separated list of integers
local digits = lpeg.R("09") ^ 1 / tonumber
local space = lpeg.S(" \t") ^ 0
local list = lpeg.Ct(digits * (space * "," * space * digits) ^ 0) * -1
local numbers = lpeg.match(list, "1, 2,3 , 40")
local sum = 0
for _, n in ipairs(numbers) do sum = sum + n end
print(#numbers, sum, lpeg.match(list, "1,,2"))

-- both work from tasks while other tasks run
local a = spawn(function() sleep(5) return cjson.encode({ ok = true }) end)
local b = spawn(function() return lpeg.match(lpeg.C(lpeg.P("ab") ^ 1), "ababx") end)
print(a:join(), b:join())
print(package.cpath:find("/lua/5.1/?.so", 1, true) ~= nil)
