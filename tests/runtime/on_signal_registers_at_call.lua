-- Issue 15.6: TINN's Parallel Conversations demo. onSignal's handler waits from the call on, so a
-- signalOne right after it reaches it; delay and periodic default to 1000 ms as TINN's did.
local function waiter(...) print("waiter woke with", ...) end
local handler = onSignal(waiter, "waiting")
print("handler status", handler:status())
print("signalOne woke", signalOne("waiting", "hello", 2))
print("handler status", handler:status())
yield()
print("handler status", handler:status())

local cancelled = onSignal(function() print("must not run") end, "other")
print("cancel", cancelled:cancel(), cancelled:status(), "signalOne woke", signalOne("other"))

local t0 = tinn.now()
local delayed = delay(function() return tinn.now() - t0 end)
local waited = delayed:join()
print("delay waited at least 1000 ms", waited >= 1000)
local t1 = tinn.now()
local ticks = 0
local ticker
ticker = periodic(function()
  ticks = ticks + 1
  print("periodic tick after at least 1000 ms", tinn.now() - t1 >= 1000)
  ticker:cancel()
end)
waitFor(function() return ticks == 1 end)
print("ticks", ticks)
