-- delay(fn, ms) runs fn once after ms; the returned task can be joined or cancelled.
local t0 = tinn.now()
local fired = delay(function() return "fired", tinn.now() - t0 end, 20)
local cancelled = delay(function() print("must not run") end, 10)
assert(cancelled:cancel() == true, "cancel of a pending delay reports true")
assert(cancelled:cancel() == false, "a second cancel reports false")
local what, after = fired:join()
assert(after >= 20, "delay waited at least 20 ms, got " .. after)
print(what, fired:status(), cancelled:status())
