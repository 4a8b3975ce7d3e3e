-- tinn.clock: a monotonic clock in milliseconds, read through the ffi so the JIT keeps it inline.
--
--   local clock = require("tinn.clock")
--   local t0 = clock.now(); sleep(10); print(clock.now() - t0 >= 10)

local ffi = require("ffi")

local now

if ffi.os == "Windows" then
  ffi.cdef [[
    int QueryPerformanceCounter(int64_t *count);
    int QueryPerformanceFrequency(int64_t *freq);
  ]]
  local counter = ffi.new("int64_t[1]")
  ffi.C.QueryPerformanceFrequency(counter)
  local ticksPerMs = tonumber(counter[0]) / 1000
  now = function()
    ffi.C.QueryPerformanceCounter(counter)
    return tonumber(counter[0]) / ticksPerMs
  end
else
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } tinn_timespec;
    int clock_gettime(int clock_id, tinn_timespec *ts);
  ]]
  -- CLOCK_MONOTONIC is 1 on Linux and on the BSDs we may one day build for; macOS uses 6.
  local CLOCK_MONOTONIC = ffi.os == "OSX" and 6 or 1
  local ts = ffi.new("tinn_timespec")
  now = function()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1000000
  end
end

return { now = now }
