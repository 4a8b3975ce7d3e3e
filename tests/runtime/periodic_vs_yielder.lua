-- A 10 ms periodic keeps ticking while another task yields millions of times (issue 14.5).
local ticks = 0
periodic(function() ticks = ticks + 1 end, 10)
local yields, started = 0, tinn.now()
local yielder = spawn(function()
  while tinn.now() - started < 500 do
    yields = yields + 1
    yield()
  end
end)
yielder:join()
-- a tick every 10 ms for 500 ms is 50; a loaded machine may skip some, starving skips all
print(ticks >= 20 and "periodic kept ticking" or ("periodic starved: " .. ticks .. " ticks"))
print(yields > 1000 and "yielder ran" or "yielder starved")
stop()
