-- Timers that stop counting (a timed wait satisfied early, a cancelled sleeper) leave the
-- others of their millisecond firing in order, whichever place in the group they held.
local t0 = tinn.now()
local fired = {}

-- Ten sleepers armed in the same millisecond; the first, a middle one and the last are cancelled.
local sleepers = {}
for i = 1, 10 do
  sleepers[i] = spawn(function() sleep(20) fired[#fired + 1] = i end)
end
yield() -- all ten are asleep
sleepers[1]:cancel()
sleepers[5]:cancel()
sleepers[10]:cancel()
print("cancelled", sleepers[1]:status(), sleepers[5]:status(), sleepers[10]:status())

-- A timed wait answered before its timeout gets the signal's values, not "timeout"; many of
-- them in a row arm and disarm timers in the same few milliseconds.
local answered = 0
for _ = 1, 1000 do
  local waiter = spawn(function() return waitSignal("ping", 50) end)
  yield()
  signalOne("ping", "pong")
  if waiter:join() == "pong" then answered = answered + 1 end
end
print("answered before the timeout", answered)

-- A timed wait nobody answers times out.
print("unanswered", waitSignal("never", 5))

sleep(30)
print("woke in order", table.concat(fired, " "))

-- Every timer of a millisecond disarmed, then a new one armed in it: it still fires.
local group = {}
for i = 1, 3 do group[i] = spawn(function() sleep(10) end) end
yield()
for i = 1, 3 do group[i]:cancel() end
local late = spawn(function() sleep(10) return "fired" end)
print("re-armed", late:join())
assert(tinn.now() - t0 >= 45, "the sleeps lasted at least their durations")
