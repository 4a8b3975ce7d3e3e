---@meta
-- Type definitions for require("StopWatch") (lua/StopWatch.lua, docs/stopwatch.md).
-- Time comes from the monotonic clock: clock_gettime(CLOCK_MONOTONIC) on Linux and the BSDs,
-- QueryPerformanceCounter on Windows. Changing the wall clock does not move it.

---A running stop watch.
---@class StopWatch
local StopWatchObject = {}

---Restarts the stop watch from zero.
---Errors: raises `StopWatch:Reset: call it with ':' on a StopWatch` when called with '.'.
function StopWatchObject:Reset() end

---Seconds elapsed since the stop watch was made or last Reset (a float, nanosecond resolution).
---Errors: raises `StopWatch:Seconds: call it with ':' on a StopWatch` when called with '.'.
---@return number
function StopWatchObject:Seconds() end

---Milliseconds elapsed since the stop watch was made or last Reset (a float).
---Errors: raises `StopWatch:Milliseconds: call it with ':' on a StopWatch` when called with '.'.
---@return number
function StopWatchObject:Milliseconds() end

---@class StopWatchClass
---@overload fun(): StopWatch
local StopWatch = {}

---A new stop watch, already running (same as `StopWatch()`).
---@return StopWatch
function StopWatch.new() end

return StopWatch
