-- Suspending words raise a clear error where there is no task to suspend.
local results = {}
spawn(function()
  local ok = waitFor(function()
    local fine, err = pcall(sleep, 1)
    results[#results + 1] = err
    return true
  end)
  results[#results + 1] = "waitFor returned " .. tostring(ok)
end)
tinn.atExit(function()
  local fine, err = pcall(yield)
  print("in exit hook:", fine, err)
end)
sleep(5)
print(results[1])
print(results[2])
