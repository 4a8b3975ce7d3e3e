-- An error in a worker reaches the parent's join as nil + the worker's error and traceback;
-- nothing is printed, the parent keeps running, and a worker that never yields freezes nothing.
local worker = require("tinn.worker")

local function firstLine(s) return (s:match("^[^\n]*")) end

local failing = worker.spawn([[
  local function inner() error("boom") end
  sleep(5)
  inner()
]], { name = "failing" })
local value, err = failing:join()
print("main chunk", value, firstLine(err))
print("has traceback", err:find("stack traceback:", 1, true) ~= nil, err:find("in function 'inner'", 1, true) ~= nil
  or err:find("inner", 1, true) ~= nil)
print("status", failing:status(), tostring(failing))

local taskError = worker.spawn([[
  spawn(function() sleep(1) error({ code = 7 }) end)
  sleep(1000)
  return "never"
]])
local _, err2 = taskError:join()
print("other task", (firstLine(err2):gsub("table: 0x%x+", "table")))

local syntax = worker.spawn("return +")
print("syntax", syntax:join())

local fromFile = worker.spawn("worker/lib/raiser.lua")
local _, err3 = fromFile:join()
print("from file", firstLine(err3))

local badReturn = worker.spawn("return print")
print("bad return", badReturn:join())

local stopped = worker.spawn("stop(3)")
print("stop(3)", stopped:join())

-- A worker in an endless loop: the parent's timers keep running; stop() ends the program.
local spinner = worker.spawn("local x = 0 while true do x = x + 1 end", { name = "spinner" })
local ticks = 0
local t0 = tinn.now()
while ticks < 5 do sleep(10) ticks = ticks + 1 end
print("parent ticked while worker spins", ticks, spinner:status(), tinn.now() - t0 < 1000)
print("join timeout", spinner:join(20))
stop(0)
