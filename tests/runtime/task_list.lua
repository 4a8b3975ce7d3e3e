-- tinn.tasks() lists live tasks with their status and what each waits on.
local sleeper = spawn(function() sleep(20) end)
sleeper:name("sleeper")
spawn(function() waitSignal("go") end):name("listener")
local poller = spawn(function() waitFor(function() return false end) end)
poller:name("poller")
yield()
for _, t in ipairs(tinn.tasks()) do
  print(t.id, t.name, t.status, t.waitingOn, t.target ~= nil and tostring(t.target):sub(1, 8) or "-")
end
signalAll("go")
sleeper:join()
print(#tinn.tasks())
poller:cancel()
