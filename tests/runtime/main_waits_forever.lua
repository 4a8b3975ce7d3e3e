-- Issue 15.2: the main task left waiting on a signal nothing can send is not a normal end: tinn
-- says what it waits for and exits 13. A background task still waiting stays quiet.
spawn(function() waitSignal("also-never") print("must not wake") end)
tinn.atExit(function() print("exit hook ran") end)
print("before")
waitSignal("never")
print("after")
