-- Sleepers wake in deadline order; equal deadlines wake in the order they slept (FIFO).
local order = {}
local function sleeper(name, ms)
  sleep(ms)
  order[#order + 1] = name
end
spawn(sleeper, "c30", 30)
spawn(sleeper, "a10", 10)
spawn(sleeper, "b20", 20)
spawn(sleeper, "zero", 0)
for i = 1, 5 do spawn(sleeper, "same" .. i, 15) end
local t0 = tinn.now()
sleep(40)
local elapsed = tinn.now() - t0
assert(elapsed >= 40, "sleep(40) lasted at least 40 ms, got " .. elapsed)
print(table.concat(order, " "))
