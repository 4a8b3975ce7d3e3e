-- waitSignal / signalOne / signalAll / onSignal: FIFO wake order, values passed through,
-- counts returned, timeouts.
print("no waiters", signalOne("nobody"), signalAll("nobody"))
local got = {}
for i = 1, 3 do
  spawn(function()
    local a, b = waitSignal("job")
    got[#got + 1] = i .. ":" .. tostring(a) .. "," .. tostring(b)
  end)
end
yield()
print("signalOne", signalOne("job", "x", nil))
print("signalOne", signalOne("job", "y", 2))
print("signalAll", signalAll("job"))
yield()
print(table.concat(got, " "))
print("timeout", waitSignal("silence", 10))
local handler = onSignal(function(...) print("onSignal got", select("#", ...), ...) return "handled" end, "ping")
yield()
signalAll("ping", 1, "two")
print("handler returned", handler:join())
-- a timed-out waiter is skipped by later signals
spawn(function() print("late waiter", waitSignal("late", 5)) end)
spawn(function() print("patient waiter", waitSignal("late")) end)
sleep(10)
print("signalOne after timeout", signalOne("late", "hello"))
yield()
