-- Tasks live in reused slots and run on pooled coroutines: a finished task's handle keeps its
-- id, name, status and results after its slot and coroutine serve new tasks; a task cancelled
-- while queued never runs, and the task that takes its slot runs once; a timeout left behind
-- by a task that was woken early never fires into the slot's next task.
local first = spawn(function(a, b) return a + b end, 2, 3)
first:name("adder")
print("first", first:join())
local reused = {}
for i = 1, 50 do reused[i] = spawn(function() return i end) end
for i = 1, 50 do assert(reused[i]:join() == i, "task " .. i .. " returned its own value") end
print("after reuse", first:id(), first:name(), first:status(), first:join())

local runs = 0
local queued = spawn(function() runs = runs + 100 end)
queued:cancel()
local successor = spawn(function() runs = runs + 1 end)
yield() yield()
print("cancelled while queued", queued:status(), "successor ran", runs, successor:status())

-- woken by the signal long before its 20 ms timeout; its slot's next task sleeps past it
local early = spawn(function() return waitSignal("early", 20) end)
yield()
signalOne("early", "signalled")
print("early", early:join())
local next = spawn(function() return waitSignal("late", 60) end)
sleep(30)
print("next still waits", next:status())
signalOne("late", "on time")
print("next", next:join())
