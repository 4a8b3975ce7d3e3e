-- User coroutines keep working inside tasks, and scheduler calls made inside them (sleep in a
-- generator) pass through to the scheduler without confusing the user's own yields.
local function numbers(limit)
  return coroutine.wrap(function()
    for i = 1, limit do
      sleep(30) -- suspends the task (long enough that the other task surely finishes first)
      coroutine.yield(i)
    end
  end)
end
local other = spawn(function() for i = 1, 3 do print("other", i) yield() end end)
for n in numbers(3) do print("generated", n) end
other:join()

local co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  sleep(1)
  local c = coroutine.yield(b * 2)
  return c .. "!"
end)
print(coroutine.resume(co, 1))
print(coroutine.resume(co, 5))
print(coroutine.resume(co, "end"))
print(coroutine.resume(co))
print(coroutine.status(co))

local failing = coroutine.create(function() sleep(1) error("inside", 0) end)
print("error stays in the coroutine", coroutine.resume(failing))
local wrapped = coroutine.wrap(function() error("wrapped", 0) end)
print("wrap rethrows", pcall(wrapped))
