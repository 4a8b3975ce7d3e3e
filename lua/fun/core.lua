-- fun.core: the iterator objects and basic generators every part of fun builds on; the front
-- file, lua/fun.lua, exports the API. fun is the Lua Fun API (https://luafun.github.io) for tinn.
--
-- Every function takes either an iterable (array, map, string, iterator object) or a raw
-- iterator triple `gen, param, state`, and every iterator it builds is stateless: `gen` never
-- changes `param` or `state`, so iterating the same triple twice gives the same sequence.
-- Generators are small functions with no per-element closures, so LuaJIT traces a whole
-- pipeline into one loop.
--
--   local fun = require("fun")
--   print(fun.range(10):map(function(x) return x * x end):filter(function(x) return x % 2 == 0 end):sum())
--   require("fun")()   -- exports every function into globals, as Lua Fun does
--
-- Where this differs from Lua Fun, see docs/fun.md ("Differences from Lua Fun"): in short,
-- `intersperse` puts the value only between elements; `totable` skips nil values; arrays are
-- iterated up to their first nil and `length`/`nth` agree with that; errors name the function.

local type, error, tostring = type, error, tostring
local getmetatable, setmetatable, rawget = getmetatable, setmetatable, rawget
local next = next
local strsub, strformat = string.sub, string.format
local floor = math.floor

local methods = {}
local exports = {}

-- Fused stages. map, filter (also grep, partition) and take_while keep the state of their
-- source unchanged, and have two helpers besides their generator:
--   step(param, state) -> state, keep, values...   advances the source by exactly one element;
--                                                  keep is false for an element it drops
--   push(param, ...)   -> keep, values...          applies the stages to one source element;
--                                                  keep is nil once take_while has ended
-- The reducing functions (each, foldl, sum, totable, ...) drive a pipeline through these, so it
-- runs as one loop with no inner loop or recursion, which LuaJIT compiles into one trace. When
-- the source is an array or an integer range they run a numeric `for` loop and push each
-- element through, close to the speed of a hand-written loop. `for ... in` loops and the other
-- functions use the generators, which follow the usual gen, param, state protocol.
local step_of = {}
local push_of = {}

-- largest array index or integer range bound the numeric-for fast path takes
local MAX_INT = 2 ^ 52

-------------------------------------------------------------------------------
-- Iterator objects
-------------------------------------------------------------------------------

local iterator_mt = {
  -- called by `for _it, x in fun.range(3) do ... end`
  __call = function(self, param, state)
    return self.gen(param, state)
  end,
  __tostring = function()
    return "<generator>"
  end,
  __index = methods,
}

--- wrap(gen, param, state) -> iterator, param, state: turns a triple into an iterator object
--- that has every method of this module. The extra results let `for` loops use it directly.
---   for _it, x in fun.wrap(ipairs({5, 6})) do print(x) end
local function wrap(gen, param, state)
  return setmetatable({ gen = gen, param = param, state = state }, iterator_mt), param, state
end

local function is_iterator(obj)
  return type(obj) == "table" and getmetatable(obj) == iterator_mt
end

local function describe(v)
  local t = type(v)
  if t == "nil" or t == "boolean" or t == "number" then
    return tostring(v)
  end
  return t
end

local function is_callable(f)
  if type(f) == "function" then
    return true
  end
  local mt = getmetatable(f)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

-- level 3: the caller of the public function that called us
local function check_callable(fname, what, f)
  if not is_callable(f) then
    error(strformat("%s: %s must be a function, got %s", fname, what, describe(f)), 3)
  end
end

local function check_count(fname, n)
  if type(n) ~= "number" or n < 0 or n ~= n then
    error(strformat("%s: n must be a non-negative number, got %s", fname, describe(n)), 3)
  end
end

-------------------------------------------------------------------------------
-- Basic generators
-------------------------------------------------------------------------------

local function nil_gen(_param, _state)
  return nil
end

-- arrays: t[1], t[2], ... up to the first nil; the state is the index
local function array_gen(tab, i)
  i = i + 1
  local v = tab[i]
  if v == nil then
    return nil
  end
  return i, v
end

local ipairs_gen = ipairs({})

--- iterator:unwrap() -> gen, param, state. An array's triple is ipairs' own, as in Lua Fun
--- (`iter(t):unwrap()` returns what `ipairs(t)` does).
local function unwrap(self)
  local gen = self.gen
  if gen == array_gen then
    gen = ipairs_gen
  end
  return gen, self.param, self.state
end

-- strings: one character per step; the state is the index of the last character given
local function string_gen(s, i)
  if i >= #s then
    return nil
  end
  i = i + 1
  return i, strsub(s, i, i)
end

-- maps: yields key, value
local function hash_gen(tab, key)
  local k, v = next(tab, key)
  if k == nil then
    return nil
  end
  return k, k, v
end

-- objects with __pairs (a Bag, say): param = {gen, param} from __pairs; yields key, value
local function pairs_gen(param, key)
  local k, v = param[1](param[2], key)
  if k == nil then
    return nil
  end
  return k, k, v
end

-- level: where the error points, 3 (the caller of the public function) unless given
local function rawiter(fname, obj, param, state, level)
  local t = type(obj)
  if t == "function" then
    return obj, param, state
  elseif t == "string" then
    return string_gen, obj, 0
  elseif t == "table" or t == "userdata" then
    local mt = getmetatable(obj)
    if mt == iterator_mt then
      return obj.gen, obj.param, obj.state
    end
    if type(mt) == "table" then
      local ip = rawget(mt, "__ipairs")
      if ip ~= nil then
        local g, p, s = ip(obj)
        return g, p, s
      end
      local pp = rawget(mt, "__pairs")
      if pp ~= nil then
        local g, p, s = pp(obj)
        return pairs_gen, { g, p }, s
      end
    end
    if t == "table" then
      if obj[1] ~= nil then
        return array_gen, obj, 0
      end
      return hash_gen, obj, nil
    end
  end
  error(strformat("%s: expected an iterable (table, string, iterator or gen, param, state), got %s",
    fname, describe(obj)), level or 3)
end

-- Builds the param of a fused stage: { a, b, c, step, push, src = ..., srcp = ... } where
-- step and push are those of the stage's source gen_x (false when it is not a fused stage),
-- and src/srcp the array or range at the bottom of a chain of fused stages (see step_of).
-- The array part is created with all five slots so the JIT finds them there.
local range_gen, range_rev_gen

range_gen = function(param, state)
  state = state + param[2]
  if state > param[1] then
    return nil
  end
  return state, state
end

range_rev_gen = function(param, state)
  state = state + param[2]
  if state < param[1] then
    return nil
  end
  return state, state
end

local function fused_param(a, b, c, gen_x, param_x)
  local push_x = push_of[gen_x] or false
  local param = { a, b, c, step_of[gen_x] or false, push_x }
  if push_x then
    param.src, param.srcp = param_x.src, param_x.srcp
  elseif gen_x == array_gen or gen_x == range_gen or gen_x == range_rev_gen then
    param.src, param.srcp = gen_x, param_x
  end
  return param
end

local function is_small_int(x)
  return x == floor(x) and x < MAX_INT and x > -MAX_INT
end

-- How a reducing function may drive the pipeline (gen, param, state) by pushing:
-- nil when it cannot; push, 1, first index when the source is an array (param.srcp);
-- push, 2, first, last, step when it is an integer range.
local function push_plan(gen, param, state)
  local push = push_of[gen]
  if push == nil then
    return nil
  end
  local src = param.src
  if src == array_gen then
    return push, 1, state + 1
  elseif src == range_gen or src == range_rev_gen then
    local stop, step = param.srcp[1], param.srcp[2]
    local first = state + step
    if is_small_int(first) and is_small_int(stop) and is_small_int(step) then
      return push, 2, first, stop, step
    end
  end
  return nil
end

--- iter(obj [, param, state]) -> iterator: makes an iterator from an array (up to its first
--- nil), a map (yields key, value), a string (yields characters), an object with
--- __ipairs/__pairs, an iterator, or a raw triple.
---   for _it, x in fun.iter({1, 2, 3}) do print(x) end
local function iter(obj, param, state)
  return wrap(rawiter("iter", obj, param, state))
end

local function from_call(...)
  local s = ...
  if s == nil then
    return nil
  end
  return s, ...
end

local function from_gen(param, state)
  return from_call(param[1](param[2], state))
end

--- from(gen, param, state) -> iterator: like iter, but the values include what `gen` returns
--- first (its state), so `from(ipairs(t))` yields index, value.
---   fun.each(print, fun.from(string.gmatch("a1b2", "(%a)(%d)")))
local function from(gen, param, state)
  gen, param, state = rawiter("from", gen, param, state)
  return wrap(from_gen, { gen, param }, state)
end

local function each_call(f, state, ...)
  if state == nil then
    return nil
  end
  f(...)
  return state
end

local function each_step_call(f, state, keep, ...)
  if state == nil then
    return nil
  end
  if keep then
    f(...)
  end
  return state
end

local function each_push_k(f, keep, ...)
  if keep then
    f(...)
  end
  return keep
end

--- each(f, gen, param, state): calls f(...) with the values of every element.
--- Aliases: for_each, foreach.   fun.each(print, {1, 2, 3})
local function each(f, gen, param, state)
  check_callable("each", "f", f)
  gen, param, state = rawiter("each", gen, param, state)
  local push, kind, first, last, by = push_plan(gen, param, state)
  if kind == 2 then
    for i = first, last, by do
      if each_push_k(f, push(param, i)) == nil then
        break
      end
    end
    return
  elseif kind == 1 then
    local t = param.srcp
    for i = first, MAX_INT do
      local v = t[i]
      if v == nil or each_push_k(f, push(param, v)) == nil then
        break
      end
    end
    return
  end
  local step = step_of[gen]
  if step then
    repeat
      state = each_step_call(f, step(param, state))
    until state == nil
    return
  end
  repeat
    state = each_call(f, gen(param, state))
  until state == nil
end

return {
  methods = methods,
  exports = exports,
  step_of = step_of,
  push_of = push_of,
  MAX_INT = MAX_INT,
  wrap = wrap,
  is_iterator = is_iterator,
  describe = describe,
  check_callable = check_callable,
  check_count = check_count,
  nil_gen = nil_gen,
  array_gen = array_gen,
  unwrap = unwrap,
  string_gen = string_gen,
  rawiter = rawiter,
  range_gen = range_gen,
  range_rev_gen = range_rev_gen,
  fused_param = fused_param,
  push_plan = push_plan,
  iter = iter,
  from = from,
  each = each,
}
