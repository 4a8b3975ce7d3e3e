-- signals.lua: TINN's signal demo. Four tasks wait on the same named signal; signalOne wakes
-- the longest-waiting one, signalAll wakes the rest, and each receives the values sent.
local function waiter(name)
  local greeting = waitSignal("gong")
  print(name .. " heard: " .. greeting)
end

for i = 1, 4 do spawn(waiter, "waiter " .. i) end
yield() -- let the four waiters reach waitSignal

print("signalOne woke " .. signalOne("gong", "first strike"))
yield()
print("signalAll woke " .. signalAll("gong", "second strike"))
yield()
print("signalAll woke " .. signalAll("gong", "nobody left"))
