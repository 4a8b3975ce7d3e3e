-- Tasks waiting only on a signal nobody can send do not keep the program alive; exit hooks run
-- and the waiting tasks are cancelled.
local waiter = spawn(function() waitSignal("never-sent") print("must not wake") end)
tinn.atExit(function() print("exit hook sees waiter " .. waiter:status()) end)
sleep(5)
print("main done")
