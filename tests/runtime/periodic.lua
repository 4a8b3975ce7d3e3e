-- periodic(fn, ms) ticks on a fixed grid: fn's own duration does not push later ticks back
-- (no drift), ticks missed while fn overran are skipped (not queued), and cancel stops it.
local PERIOD = 50
local start = tinn.now()
local ticks = {}
local ticker = periodic(function()
  ticks[#ticks + 1] = tinn.now() - start
  if #ticks == 3 then
    local busyUntil = tinn.now() + 2.5 * PERIOD -- overrun: the next two grid points pass
    while tinn.now() < busyUntil do end
  else
    sleep(PERIOD / 4) -- fn takes a quarter period: a drifting timer would fall behind
  end
end, PERIOD)

waitFor(function() return #ticks >= 8 end)
ticker:cancel()
local count = #ticks
sleep(3 * PERIOD)
assert(#ticks == count, "no tick after cancel: had " .. count .. ", now " .. #ticks)
assert(ticker:status() == "cancelled", "ticker is cancelled, got " .. ticker:status())

-- every tick lies on the grid start + k*PERIOD (k grows), late by at most a few ms
local lastK = 0
local grid = {}
for i, at in ipairs(ticks) do
  local k = math.floor(at / PERIOD + 0.5)
  local late = at - k * PERIOD
  assert(late > -1 and late < PERIOD / 2, ("tick %d at %.1f ms is off the %d ms grid"):format(i, at, PERIOD))
  assert(k > lastK, ("tick %d repeats grid point %d"):format(i, k))
  grid[i] = k
  lastK = k
end
-- ticks 1-3 on points 1-3; tick 3 overran past points 4 and 5, so tick 4 is point 6
print(table.concat(grid, " ", 1, 5))
