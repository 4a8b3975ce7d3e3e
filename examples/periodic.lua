-- periodic.lua: a periodic tick keeps time beside a long-running task; when the work is done
-- the ticker is cancelled and the program ends.
local ticks = 0
local ticker = periodic(function()
  ticks = ticks + 1
  print("tick " .. ticks)
end, 100)

local worker = spawn(function()
  local sum = 0
  for _ = 1, 5 do
    for i = 1, 1e6 do sum = sum + i % 7 end -- some real work between pauses
    sleep(90)
  end
  return sum
end)

print("work result " .. worker:join())
ticker:cancel()
print("ticker " .. ticker:status() .. " after " .. (ticks >= 4 and "at least 4" or ticks) .. " ticks")
