-- Issue 15.2: a main task joining a task that waits forever is stuck too; the message follows
-- the join to what the other task waits for.
local consumer = spawn(function() return waitSignal("go") end)
consumer:name("consumer")
print("joining")
print(consumer:join())
