-- waitFor suspends until a predicate holds; it returns at once when it already holds, and
-- nil, "timeout" when the timeout passes first.
local ready = false
spawn(function() sleep(10) ready = true end)
print("waitFor", waitFor(function() return ready end))
print("already true", waitFor(function() return true end))
local t0 = tinn.now()
local ok, err = waitFor(function() return false end, 20)
assert(tinn.now() - t0 >= 20, "timed out no earlier than 20 ms")
print("timeout", ok, err)
-- many waiters on one condition all wake in the same round
local count, woken = 0, 0
for _ = 1, 5 do spawn(function() waitFor(function() return count >= 3 end) woken = woken + 1 end) end
for _ = 1, 3 do sleep(1) count = count + 1 end
sleep(5)
print("woken", woken)
