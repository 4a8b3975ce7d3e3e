-- StopWatch: measures elapsed time on the monotonic clock, with TINN's spelling.
--
--   local StopWatch = require("StopWatch")
--   local sw = StopWatch()          -- starts running at once
--   work()
--   print(sw:Seconds(), sw:Milliseconds())
--   sw:Reset()                      -- starts again from zero
--
-- Linux and the BSDs read clock_gettime(CLOCK_MONOTONIC) through the ffi, macOS its
-- CLOCK_MONOTONIC (6), Windows QueryPerformanceCounter/QueryPerformanceFrequency. The clock
-- never goes back when the wall clock is changed.

local ffi = require("ffi")

local setmetatable, tonumber, type, format = setmetatable, tonumber, type, string.format

-- Our own names (through asm labels) so this file does not clash with other modules that
-- declare the same C functions with other types, e.g. tinn.clock.
local function cdef_once(probe, decl)
  if not pcall(ffi.typeof, probe) then
    ffi.cdef(decl)
  end
end

-- now() returns the time as two numbers, whole seconds and nanoseconds, so that differences
-- stay exact however long the machine has been up.
local now

if ffi.os == "Windows" then
  cdef_once("tinn_stopwatch_count", [[
    typedef struct { int64_t value; } tinn_stopwatch_count;
    int tinn_stopwatch_qpc(tinn_stopwatch_count *count) __asm__("QueryPerformanceCounter");
    int tinn_stopwatch_qpf(tinn_stopwatch_count *freq) __asm__("QueryPerformanceFrequency");
  ]])
  local C = ffi.C
  local count = ffi.new("tinn_stopwatch_count")
  C.tinn_stopwatch_qpf(count)
  local ticks_per_second = tonumber(count.value)
  now = function()
    C.tinn_stopwatch_qpc(count)
    local ticks = count.value
    local seconds = ticks / ticks_per_second -- int64 division: whole seconds
    local rest = ticks - seconds * ticks_per_second
    return tonumber(seconds), tonumber(rest) * 1e9 / ticks_per_second
  end
else
  cdef_once("tinn_stopwatch_timespec", [[
    typedef struct { long tv_sec; long tv_nsec; } tinn_stopwatch_timespec;
    int tinn_stopwatch_clock_gettime(int clock_id, tinn_stopwatch_timespec *ts) __asm__("clock_gettime");
  ]])
  local C = ffi.C
  -- CLOCK_MONOTONIC is 1 on Linux and the BSDs, 6 on macOS
  local CLOCK_MONOTONIC = ffi.os == "OSX" and 6 or 1
  local ts = ffi.new("tinn_stopwatch_timespec")
  now = function()
    C.tinn_stopwatch_clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec), tonumber(ts.tv_nsec)
  end
end

local StopWatch = {}
StopWatch.__index = StopWatch

local function check_self(self, method)
  if type(self) ~= "table" or self.startSeconds == nil then
    error(format("StopWatch:%s: call it with ':' on a StopWatch", method), 3)
  end
end

--- StopWatch.new() -> a running stop watch (also StopWatch()).
---   local sw = StopWatch.new(); print(sw:Milliseconds())
function StopWatch.new()
  local s, ns = now()
  return setmetatable({ startSeconds = s, startNanoseconds = ns }, StopWatch)
end

--- sw:Reset(): restarts the stop watch from zero.
function StopWatch:Reset()
  check_self(self, "Reset")
  self.startSeconds, self.startNanoseconds = now()
end

--- sw:Seconds() -> seconds elapsed since creation or the last Reset (a float).
function StopWatch:Seconds()
  check_self(self, "Seconds")
  local s, ns = now()
  return (s - self.startSeconds) + (ns - self.startNanoseconds) * 1e-9
end

--- sw:Milliseconds() -> milliseconds elapsed since creation or the last Reset (a float).
function StopWatch:Milliseconds()
  check_self(self, "Milliseconds")
  local s, ns = now()
  return (s - self.startSeconds) * 1e3 + (ns - self.startNanoseconds) * 1e-6
end

function StopWatch:__tostring()
  return format("StopWatch(%.3f ms)", self:Milliseconds())
end

return setmetatable(StopWatch, {
  __call = function()
    return StopWatch.new()
  end,
})
