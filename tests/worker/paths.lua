-- worker.spawn takes a path from the working directory (tests/ here) or, failing that, from
-- the directory of the calling script (tests/worker/); a missing .lua file is an error, not code.
local worker = require("tinn.worker")
print("from the working directory", worker.spawn("worker/lib/where.lua"):join())
print("beside this script", worker.spawn("lib/where.lua"):join())
print(pcall(function() return worker.spawn("lib/nowhere.lua") end))
print("code", worker.spawn("return 6 * 7"):join())
