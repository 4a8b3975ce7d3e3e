-- 100,000 tasks spawn, take turns and finish; every one is accounted for.
local N = 100000
local finished, total = 0, 0
local function work(i)
  yield()
  total = total + i
  finished = finished + 1
end
for i = 1, N do spawn(work, i) end
waitFor(function() return finished == N end)
print(finished, string.format("%.0f", total), #tinn.tasks())
