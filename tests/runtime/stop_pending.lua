-- stop(code) ends the program once the current task yields; pending tasks are cancelled,
-- exit hooks still run, and the status is the code given.
tinn.atExit(function() print("exit hook ran") end)
spawn(function() sleep(10) print("sleeper must not wake") end)
spawn(function() while true do yield() end end)
spawn(function()
  yield()
  print("stopping")
  stop(3)
  print("the current task finishes its turn")
  yield()
  print("but does not get another")
end)
waitSignal("never")
