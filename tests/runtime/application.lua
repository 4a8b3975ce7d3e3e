-- require("Application") carries every word; TINN's Application(true) returns it; run(main) works.
local Application = require("Application")
assert(Application(true) == Application, "Application(true) returns the module")
local words = { "spawn", "coop", "yield", "run", "stop", "sleep", "delay", "periodic", "waitFor",
  "when", "whenever", "onSignal", "signalOne", "signalAll", "waitSignal", "onError" }
for _, word in ipairs(words) do
  assert(type(Application[word]) == "function", "Application." .. word .. " is a function")
  assert(type(_G[word]) == "function", word .. " is also a global")
end
assert(require("tinn") == tinn, "require('tinn') is the global tinn")
assert(not pcall(function() Application.spawn = nil end), "Application is read-only")

local function main()
  print("main ran as task " .. tinn.currentTask():id())
  Application.sleep(1)
  print("main done")
end
run(main)
