-- fun.generators: range, duplicate, tabulate, zeros, ones, rands.
-- A part of fun: lua/fun.lua is the front file that exports the API.

local type, select, error, tostring, unpack = type, select, error, tostring, unpack
local strformat, random = string.format, math.random
local core = require("fun.core")
local wrap, describe, check_callable, nil_gen = core.wrap, core.describe, core.check_callable, core.nil_gen
local range_gen, range_rev_gen = core.range_gen, core.range_rev_gen

-------------------------------------------------------------------------------
-- Generators
-------------------------------------------------------------------------------

--- range([start,] stop [, step]) -> iterator over start, start+step, ... while within stop
--- (inclusive). start defaults to 1 (or -1 when stop < 0), step to 1 or -1; range(0) is empty.
---   fun.range(3):each(print)   --> 1 2 3
local function range(start, stop, step)
  if step == nil then
    if stop == nil then
      if type(start) ~= "number" then
        error("range: stop must be a number, got " .. describe(start), 2)
      end
      if start == 0 then
        return wrap(nil_gen, nil, nil)
      end
      stop = start
      start = stop > 0 and 1 or -1
    end
    if type(start) ~= "number" or type(stop) ~= "number" then
      error(strformat("range: start and stop must be numbers, got %s and %s", describe(start), describe(stop)), 2)
    end
    step = start <= stop and 1 or -1
  end
  if type(start) ~= "number" or type(stop) ~= "number" or type(step) ~= "number" then
    error(strformat("range: start, stop and step must be numbers, got %s, %s and %s",
      describe(start), describe(stop), describe(step)), 2)
  end
  if step == 0 then
    error("range: step must not be zero", 2)
  end
  if step > 0 then
    return wrap(range_gen, { stop, step }, start - step)
  end
  return wrap(range_rev_gen, { stop, step }, start - step)
end

local function dup1_gen(param, state)
  return state + 1, param
end

local function dupn_gen(param, state)
  return state + 1, unpack(param, 1, param.n)
end

local function tabulate_gen(param, state)
  return state + 1, param(state)
end

--- duplicate(...) -> infinite iterator yielding the given values again and again.
--- Aliases: xrepeat, replicate.   fun.take(3, fun.duplicate("x")):each(print)
local function duplicate(...)
  local n = select("#", ...)
  if n == 1 then
    return wrap(dup1_gen, (...), 0)
  end
  return wrap(dupn_gen, { n = n, ... }, 0)
end

--- tabulate(f) -> infinite iterator yielding f(0), f(1), f(2), ...
local function tabulate(f)
  check_callable("tabulate", "f", f)
  return wrap(tabulate_gen, f, 0)
end

--- zeros() -> infinite iterator of 0.
local function zeros()
  return wrap(dup1_gen, 0, 0)
end

--- ones() -> infinite iterator of 1.
local function ones()
  return wrap(dup1_gen, 1, 0)
end

local function rands_gen(param, _state)
  return 0, random(param[1], param[2])
end

local function rands_nil_gen(_param, _state)
  return 0, random()
end

--- rands([n [, m]]) -> infinite iterator of math.random values: integers in [n, m), in
--- [0, n) with one argument, floats in [0, 1) with none. Not pure: each pass differs.
local function rands(n, m)
  if n == nil and m == nil then
    return wrap(rands_nil_gen, 0, 0)
  end
  if type(n) ~= "number" then
    error("rands: n must be a number, got " .. describe(n), 2)
  end
  if m == nil then
    m = n
    n = 0
  elseif type(m) ~= "number" then
    error("rands: m must be a number, got " .. describe(m), 2)
  end
  if n >= m then
    error(strformat("rands: empty interval [%s, %s)", tostring(n), tostring(m)), 2)
  end
  return wrap(rands_gen, { n, m - 1 }, 0)
end

return {
  range = range,
  duplicate = duplicate,
  tabulate = tabulate,
  zeros = zeros,
  ones = ones,
  rands = rands,
}
