-- tinn.clock: a monotonic clock in milliseconds, read through the ffi so the JIT keeps it inline.
--
--   local clock = require("tinn.clock")
--   local t0 = clock.now(); sleep(10); print(clock.now() - t0 >= 10)

local ffi = require("ffi")

ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } tinn_timespec;
  int clock_gettime(int clock_id, tinn_timespec *ts);
]]
-- Linux's value (tinn builds on Linux only; docs/platforms.md has the plan for other systems).
local CLOCK_MONOTONIC = 1
local ts = ffi.new("tinn_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1000000
end

return { now = now }
