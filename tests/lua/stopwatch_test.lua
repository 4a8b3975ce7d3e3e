-- stopwatch_test: StopWatch measures time on the monotonic clock: it never goes back, agrees with
-- a real sleep, and Reset starts again. Loading it beside another declaration of
-- clock_gettime (as tinn.clock makes) must work.
--
--   LUA_PATH='lua/?.lua;;' luajit tests/lua/stopwatch_test.lua

local ffi = require("ffi")

-- another module declared clock_gettime first, with its own struct type
ffi.cdef [[
  typedef struct { long s; long ns; } other_module_timespec;
  int clock_gettime(int clock_id, other_module_timespec *ts);
]]

local StopWatch = require("StopWatch")

local function check(cond, msg)
  assert(cond, msg)
end

local sleep_ms
if ffi.os == "Windows" then
  ffi.cdef "void Sleep(uint32_t ms);"
  sleep_ms = function(ms) ffi.C.Sleep(ms) end
else
  ffi.cdef "int poll(void *fds, unsigned long nfds, int timeout);"
  sleep_ms = function(ms) ffi.C.poll(nil, 0, ms) end
end

do
  local sw = StopWatch()
  check(getmetatable(sw) == StopWatch, "StopWatch() makes a StopWatch")
  check(getmetatable(StopWatch.new()) == StopWatch, "StopWatch.new() makes one too")

  -- monotonic: successive readings never decrease
  local last = sw:Seconds()
  check(last >= 0 and last < 1, "a fresh stop watch reads about zero, got " .. last)
  for _ = 1, 10000 do
    local now = sw:Seconds()
    check(now >= last, string.format("Seconds() went back from %.9f to %.9f", last, now))
    last = now
  end

  -- a 50 ms sleep reads as at least 50 ms (monotonic sleep), and not absurdly more
  sw:Reset()
  sleep_ms(50)
  local ms = sw:Milliseconds()
  local s = sw:Seconds()
  check(ms >= 49.5, "Milliseconds() after a 50 ms sleep is at least 50, got " .. ms)
  check(ms < 2000, "Milliseconds() after a 50 ms sleep is below 2000, got " .. ms)
  check(s * 1000 >= ms, "Seconds() read later is not less than Milliseconds() read earlier")
  check(s < ms, "Seconds() is in seconds, Milliseconds() in milliseconds")

  -- Reset starts from zero again
  sw:Reset()
  local after = sw:Milliseconds()
  check(after >= 0 and after < ms, "after Reset the reading starts again from zero, got " .. after)

  -- two stop watches are independent
  local a = StopWatch()
  sleep_ms(20)
  local b = StopWatch()
  sleep_ms(5)
  check(a:Milliseconds() > b:Milliseconds() + 15, "an older stop watch reads more than a newer one")

  check(tostring(a):match("^StopWatch%(%d+%.%d+ ms%)$"), "tostring shows the elapsed time, got " .. tostring(a))

  local ok, err = pcall(StopWatch.Seconds, nil)
  check(not ok and tostring(err):find("StopWatch:Seconds: call it with ':'", 1, true),
    "StopWatch.Seconds(nil) names the method, got " .. tostring(err))
  ok, err = pcall(StopWatch.Reset, {})
  check(not ok and tostring(err):find("StopWatch:Reset", 1, true), "Reset on a plain table raises")
end

print("ok stopwatch")
