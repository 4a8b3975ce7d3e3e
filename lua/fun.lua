-- fun: the Lua Fun API (https://luafun.github.io), written for tinn.
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

local type, select, error, tostring = type, select, error, tostring
local getmetatable, setmetatable, rawget, rawset, rawequal = getmetatable, setmetatable, rawget, rawset, rawequal
local next, pairs = next, pairs
local unpack = unpack or table.unpack -- luacheck: ignore 143
local strsub, strfind, strformat = string.sub, string.find, string.format
local floor, ceil, random = math.floor, math.ceil, math.random

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

-------------------------------------------------------------------------------
-- Generators
-------------------------------------------------------------------------------

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

-------------------------------------------------------------------------------
-- Slicing
-------------------------------------------------------------------------------

local function values_of(state, ...)
  if state == nil then
    return nil
  end
  return ...
end

--- nth(n, gen, param, state) -> the values of the n-th element (1-based), or nil.
---   print(fun.nth(2, {"a", "b", "c"}))   --> b
local function nth(n, gen, param, state)
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("nth: n must be a positive integer, got " .. describe(n), 2)
  end
  gen, param, state = rawiter("nth", gen, param, state)
  if gen == string_gen then
    local i = state + n
    if i > #param then
      return nil
    end
    return strsub(param, i, i)
  end
  if gen == array_gen then
    -- iteration stops at the first nil, so nth must too
    for i = state + 1, state + n - 1 do
      if param[i] == nil then
        return nil
      end
    end
    return param[state + n]
  end
  for _ = 1, n - 1 do
    state = gen(param, state)
    if state == nil then
      return nil
    end
  end
  return values_of(gen(param, state))
end

local function head_call(state, ...)
  if state == nil then
    error("head: iterator is empty", 2)
  end
  return ...
end

--- head(gen, param, state) -> the values of the first element. Alias: car.
--- Errors: raises "head: iterator is empty" on an empty iterator.
local function head(gen, param, state)
  gen, param, state = rawiter("head", gen, param, state)
  return head_call(gen(param, state))
end

--- tail(gen, param, state) -> iterator without the first element (empty stays empty). Alias: cdr.
local function tail(gen, param, state)
  gen, param, state = rawiter("tail", gen, param, state)
  state = gen(param, state)
  if state == nil then
    return wrap(nil_gen, nil, nil)
  end
  return wrap(gen, param, state)
end

local function take_n_call(i, state_x, ...)
  if state_x == nil then
    return nil
  end
  return { i, state_x }, ...
end

local function take_n_gen(param, state)
  local i = state[1]
  if i >= param[1] then
    return nil
  end
  return take_n_call(i + 1, param[2](param[3], state[2]))
end

--- take_n(n, gen, param, state) -> iterator over the first n elements.
local function take_n(n, gen, param, state)
  check_count("take_n", n)
  gen, param, state = rawiter("take_n", gen, param, state)
  return wrap(take_n_gen, { n, gen, param }, { 0, state })
end

local function take_while_call(pred, state_x, ...)
  if state_x == nil or not pred(...) then
    return nil
  end
  return state_x, ...
end

local function take_while_gen(param, state)
  return take_while_call(param[1], param[2](param[3], state))
end

local function take_while_step_fused(pred, state_x, keep, ...)
  if state_x == nil then
    return nil
  end
  if not keep then
    return state_x, false
  end
  if pred(...) then
    return state_x, true, ...
  end
  return nil
end

local function take_while_step_plain(pred, state_x, ...)
  if state_x == nil or not pred(...) then
    return nil
  end
  return state_x, true, ...
end

local function take_while_step(param, state)
  local step_x = param[4]
  if step_x then
    return take_while_step_fused(param[1], step_x(param[3], state))
  end
  return take_while_step_plain(param[1], param[2](param[3], state))
end
step_of[take_while_gen] = take_while_step

local function take_while_push_k(pred, keep, ...)
  if keep then
    if pred(...) then
      return true, ...
    end
    return nil
  end
  return keep
end

local function take_while_push(param, ...)
  local push_x = param[5]
  if push_x then
    return take_while_push_k(param[1], push_x(param[3], ...))
  end
  if param[1](...) then
    return true, ...
  end
  return nil
end
push_of[take_while_gen] = take_while_push

--- take_while(pred, gen, param, state) -> iterator over the longest prefix satisfying pred.
local function take_while(pred, gen, param, state)
  check_callable("take_while", "pred", pred)
  gen, param, state = rawiter("take_while", gen, param, state)
  return wrap(take_while_gen, fused_param(pred, gen, param, gen, param), state)
end

--- take(n_or_pred, gen, param, state) -> take_n for a number, take_while for a function.
local function take(n_or_pred, gen, param, state)
  if type(n_or_pred) == "number" then
    check_count("take", n_or_pred)
    gen, param, state = rawiter("take", gen, param, state)
    return wrap(take_n_gen, { n_or_pred, gen, param }, { 0, state })
  end
  check_callable("take", "n_or_pred", n_or_pred)
  gen, param, state = rawiter("take", gen, param, state)
  return wrap(take_while_gen, fused_param(n_or_pred, gen, param, gen, param), state)
end

local function drop_n_raw(n, gen, param, state)
  for _ = 1, n do
    state = gen(param, state)
    if state == nil then
      return wrap(nil_gen, nil, nil)
    end
  end
  return wrap(gen, param, state)
end

--- drop_n(n, gen, param, state) -> iterator after skipping the first n elements.
local function drop_n(n, gen, param, state)
  check_count("drop_n", n)
  gen, param, state = rawiter("drop_n", gen, param, state)
  return drop_n_raw(n, gen, param, state)
end

-- The first element kept is held in the param ({gen, param, its state, count, values...}) and
-- handed out first, while the state is that param itself. Asking the source again from the
-- previous state would lose it when the source keeps its own state (a closure, a reader).
local function drop_while_gen(param, state)
  if rawequal(state, param) then
    return param[3], unpack(param, 5, 4 + param[4])
  end
  return param[1](param[2], state)
end

local KEPT = {} -- drop_while_step's answer for the first element not dropped

local function drop_while_step(pred, gen, param, state_x, ...)
  if state_x == nil then
    return nil
  end
  if pred(...) then
    return state_x
  end
  return KEPT, { gen, param, state_x, select("#", ...), ... }
end

local function drop_while_raw(pred, gen, param, state)
  while true do
    local next_state, pivot = drop_while_step(pred, gen, param, gen(param, state))
    if next_state == nil then
      return wrap(nil_gen, nil, nil)
    end
    if next_state == KEPT then
      return wrap(drop_while_gen, pivot, pivot)
    end
    state = next_state
  end
end

--- drop_while(pred, gen, param, state) -> iterator after skipping the longest prefix
--- satisfying pred.
local function drop_while(pred, gen, param, state)
  check_callable("drop_while", "pred", pred)
  gen, param, state = rawiter("drop_while", gen, param, state)
  return drop_while_raw(pred, gen, param, state)
end

--- drop(n_or_pred, gen, param, state) -> drop_n for a number, drop_while for a function.
local function drop(n_or_pred, gen, param, state)
  if type(n_or_pred) == "number" then
    check_count("drop", n_or_pred)
    gen, param, state = rawiter("drop", gen, param, state)
    return drop_n_raw(n_or_pred, gen, param, state)
  end
  check_callable("drop", "n_or_pred", n_or_pred)
  gen, param, state = rawiter("drop", gen, param, state)
  return drop_while_raw(n_or_pred, gen, param, state)
end

--- span(n_or_pred, gen, param, state) -> take(...), drop(...) as two iterators.
--- Aliases: split, split_at.   local a, b = fun.span(2, {1, 2, 3})
local function span(n_or_pred, gen, param, state)
  if type(n_or_pred) == "number" then
    check_count("span", n_or_pred)
  else
    check_callable("span", "n_or_pred", n_or_pred)
  end
  gen, param, state = rawiter("span", gen, param, state)
  return (take(n_or_pred, gen, param, state)), (drop(n_or_pred, gen, param, state))
end

-------------------------------------------------------------------------------
-- Indexing
-------------------------------------------------------------------------------

--- index(x, gen, param, state) -> position (1-based) of the first element equal to x, or nil.
--- Aliases: index_of, elem_index.
local function index(x, gen, param, state)
  gen, param, state = rawiter("index", gen, param, state)
  local i = 0
  local v
  while true do
    state, v = gen(param, state)
    if state == nil then
      return nil
    end
    i = i + 1
    if v == x then
      return i
    end
  end
end

local function indexes_gen(param, state)
  local x, gen_x, param_x = param[1], param[2], param[3]
  local i, state_x = state[1], state[2]
  local v
  while true do
    state_x, v = gen_x(param_x, state_x)
    if state_x == nil then
      return nil
    end
    i = i + 1
    if v == x then
      return { i, state_x }, i
    end
  end
end

--- indexes(x, gen, param, state) -> iterator over the positions of elements equal to x.
--- Aliases: indices, elem_indexes, elem_indices.
local function indexes(x, gen, param, state)
  gen, param, state = rawiter("indexes", gen, param, state)
  return wrap(indexes_gen, { x, gen, param }, { 0, state })
end

-------------------------------------------------------------------------------
-- Filtering
-------------------------------------------------------------------------------

local filter_gen, reject_gen

-- A dropped element tail-calls the generator again: no per-element loop state and any
-- number of values.
local function filter_call(param, state_x, ...)
  if state_x == nil then
    return nil
  end
  if param[1](...) then
    return state_x, ...
  end
  return filter_gen(param, state_x)
end

filter_gen = function(param, state)
  return filter_call(param, param[2](param[3], state))
end

local function reject_call(param, state_x, ...)
  if state_x == nil then
    return nil
  end
  if not param[1](...) then
    return state_x, ...
  end
  return reject_gen(param, state_x)
end

reject_gen = function(param, state)
  return reject_call(param, param[2](param[3], state))
end

local function filter_step_fused(pred, state_x, keep, ...)
  if state_x == nil then
    return nil
  end
  if keep and pred(...) then
    return state_x, true, ...
  end
  return state_x, false
end

local function filter_step_plain(pred, state_x, ...)
  if state_x == nil then
    return nil
  end
  if pred(...) then
    return state_x, true, ...
  end
  return state_x, false
end

local function filter_step(param, state)
  local step_x = param[4]
  if step_x then
    return filter_step_fused(param[1], step_x(param[3], state))
  end
  return filter_step_plain(param[1], param[2](param[3], state))
end
step_of[filter_gen] = filter_step

local function reject_step_fused(pred, state_x, keep, ...)
  if state_x == nil then
    return nil
  end
  if keep and not pred(...) then
    return state_x, true, ...
  end
  return state_x, false
end

local function reject_step_plain(pred, state_x, ...)
  if state_x == nil then
    return nil
  end
  if not pred(...) then
    return state_x, true, ...
  end
  return state_x, false
end

local function reject_step(param, state)
  local step_x = param[4]
  if step_x then
    return reject_step_fused(param[1], step_x(param[3], state))
  end
  return reject_step_plain(param[1], param[2](param[3], state))
end
step_of[reject_gen] = reject_step

local function filter_push_k(pred, keep, ...)
  if keep then
    if pred(...) then
      return true, ...
    end
    return false
  end
  return keep
end

local function filter_push(param, ...)
  local push_x = param[5]
  if push_x then
    return filter_push_k(param[1], push_x(param[3], ...))
  end
  if param[1](...) then
    return true, ...
  end
  return false
end
push_of[filter_gen] = filter_push

local function reject_push_k(pred, keep, ...)
  if keep then
    if pred(...) then
      return false
    end
    return true, ...
  end
  return keep
end

local function reject_push(param, ...)
  local push_x = param[5]
  if push_x then
    return reject_push_k(param[1], push_x(param[3], ...))
  end
  if param[1](...) then
    return false
  end
  return true, ...
end
push_of[reject_gen] = reject_push

--- filter(pred, gen, param, state) -> iterator over elements for which pred(...) is truthy.
--- Alias: remove_if (as in Lua Fun).   fun.filter(function(x) return x % 2 == 0 end, fun.range(6))
local function filter(pred, gen, param, state)
  check_callable("filter", "pred", pred)
  gen, param, state = rawiter("filter", gen, param, state)
  return wrap(filter_gen, fused_param(pred, gen, param, gen, param), state)
end

--- grep(pattern_or_pred, gen, param, state) -> filter by string.find(x, pattern) for a string
--- (a Lua pattern), otherwise the same as filter.   fun.grep("^b", {"ab", "ba"})
local function grep(pattern_or_pred, gen, param, state)
  local pred = pattern_or_pred
  if type(pattern_or_pred) == "string" then
    pred = function(x)
      return strfind(x, pattern_or_pred) ~= nil
    end
  else
    check_callable("grep", "pattern_or_pred", pred)
  end
  gen, param, state = rawiter("grep", gen, param, state)
  return wrap(filter_gen, fused_param(pred, gen, param, gen, param), state)
end

--- partition(pred, gen, param, state) -> two iterators: elements that satisfy pred, and those
--- that do not.   local evens, odds = fun.partition(function(x) return x % 2 == 0 end, fun.range(6))
local function partition(pred, gen, param, state)
  check_callable("partition", "pred", pred)
  gen, param, state = rawiter("partition", gen, param, state)
  return (wrap(filter_gen, fused_param(pred, gen, param, gen, param), state)),
    (wrap(reject_gen, fused_param(pred, gen, param, gen, param), state))
end

-------------------------------------------------------------------------------
-- Reducing
-------------------------------------------------------------------------------

local function foldl_call(f, acc, state, ...)
  if state == nil then
    return nil, acc
  end
  return state, f(acc, ...)
end

local function foldl_step_call(f, acc, state, keep, ...)
  if state == nil then
    return nil, acc
  end
  if keep then
    return state, f(acc, ...)
  end
  return state, acc
end

--- foldl(f, init, gen, param, state) -> acc: acc = f(acc, ...) for every element.
--- Alias: reduce.   fun.foldl(function(acc, x) return acc + x end, 0, fun.range(4))  --> 10
local function foldl_push_k(f, acc, keep, ...)
  if keep then
    return true, f(acc, ...)
  end
  return keep, acc
end

local function foldl(f, acc, gen, param, state)
  check_callable("foldl", "f", f)
  gen, param, state = rawiter("foldl", gen, param, state)
  local push, kind, first, last, by = push_plan(gen, param, state)
  local keep
  if kind == 2 then
    for i = first, last, by do
      keep, acc = foldl_push_k(f, acc, push(param, i))
      if keep == nil then
        break
      end
    end
    return acc
  elseif kind == 1 then
    local t = param.srcp
    for i = first, MAX_INT do
      local v = t[i]
      if v == nil then
        break
      end
      keep, acc = foldl_push_k(f, acc, push(param, v))
      if keep == nil then
        break
      end
    end
    return acc
  end
  local step = step_of[gen]
  if step then
    while true do
      state, acc = foldl_step_call(f, acc, step(param, state))
      if state == nil then
        return acc
      end
    end
  end
  while true do
    state, acc = foldl_call(f, acc, gen(param, state))
    if state == nil then
      return acc
    end
  end
end

--- length(gen, param, state) -> number of elements.
local function length(gen, param, state)
  gen, param, state = rawiter("length", gen, param, state)
  if gen == string_gen then
    return #param - state
  end
  local n = 0
  if gen == array_gen then
    local i = state + 1
    while param[i] ~= nil do
      i = i + 1
    end
    return i - 1 - state
  end
  local push, kind, first, last, by = push_plan(gen, param, state)
  local keep
  if kind == 2 then
    for i = first, last, by do
      keep = push(param, i)
      if keep then
        n = n + 1
      elseif keep == nil then
        break
      end
    end
    return n
  elseif kind == 1 then
    local t = param.srcp
    for i = first, MAX_INT do
      local v = t[i]
      if v == nil then
        break
      end
      keep = push(param, v)
      if keep then
        n = n + 1
      elseif keep == nil then
        break
      end
    end
    return n
  end
  local step = step_of[gen]
  if step then
    while true do
      state, keep = step(param, state)
      if state == nil then
        return n
      end
      if keep then
        n = n + 1
      end
    end
  end
  while true do
    state = gen(param, state)
    if state == nil then
      return n
    end
    n = n + 1
  end
end

--- totable(gen, param, state) -> array of the first value of every element (nil values are
--- skipped, so the result is always a sequence).
local function totable(gen, param, state)
  gen, param, state = rawiter("totable", gen, param, state)
  local t, n = {}, 0
  local v
  local push, kind, first, last, by = push_plan(gen, param, state)
  local keep
  if kind == 2 then
    for i = first, last, by do
      keep, v = push(param, i)
      if keep then
        if v ~= nil then
          n = n + 1
          t[n] = v
        end
      elseif keep == nil then
        break
      end
    end
    return t
  elseif kind == 1 then
    local src = param.srcp
    for i = first, MAX_INT do
      local x = src[i]
      if x == nil then
        break
      end
      keep, v = push(param, x)
      if keep then
        if v ~= nil then
          n = n + 1
          t[n] = v
        end
      elseif keep == nil then
        break
      end
    end
    return t
  end
  local step = step_of[gen]
  if step then
    while true do
      state, keep, v = step(param, state)
      if state == nil then
        return t
      end
      if keep and v ~= nil then
        n = n + 1
        t[n] = v
      end
    end
  end
  while true do
    state, v = gen(param, state)
    if state == nil then
      return t
    end
    if v ~= nil then
      n = n + 1
      t[n] = v
    end
  end
end

--- tomap(gen, param, state) -> table with t[a] = b for every element (a, b); nil keys skipped.
local function tomap(gen, param, state)
  gen, param, state = rawiter("tomap", gen, param, state)
  local t = {}
  local k, v
  local step = step_of[gen]
  if step then
    local keep
    while true do
      state, keep, k, v = step(param, state)
      if state == nil then
        return t
      end
      if keep and k ~= nil then
        t[k] = v
      end
    end
  end
  while true do
    state, k, v = gen(param, state)
    if state == nil then
      return t
    end
    if k ~= nil then
      t[k] = v
    end
  end
end

--- is_prefix_of(a, b) -> true if iterable a is a prefix of iterable b (first values compared).
local function is_prefix_of(a, b)
  local gx, px, sx = rawiter("is_prefix_of", a)
  local gy, py, sy = rawiter("is_prefix_of", b)
  local vx, vy
  while true do
    sx, vx = gx(px, sx)
    if sx == nil then
      return true
    end
    sy, vy = gy(py, sy)
    if sy == nil or vx ~= vy then
      return false
    end
  end
end

--- is_null(gen, param, state) -> true if the iterator is empty.
local function is_null(gen, param, state)
  gen, param, state = rawiter("is_null", gen, param, state)
  return gen(param, state) == nil
end

local function test_call(pred, state, ...)
  if state == nil then
    return nil
  end
  return state, true, pred(...)
end

local function test_step_call(pred, state, keep, ...)
  if state == nil then
    return nil
  end
  if keep then
    return state, true, pred(...)
  end
  return state, false
end

-- all and any have a loop each: LuaJIT specialises a compiled loop on what it sees, so a loop
-- shared by several functions would be compiled for one of them and slow for the others.

--- all(pred, gen, param, state) -> true if pred(...) is truthy for every element (true when
--- empty). Alias: every.
local function all(pred, gen, param, state)
  check_callable("all", "pred", pred)
  gen, param, state = rawiter("all", gen, param, state)
  local step = step_of[gen]
  local keep, ok
  while true do
    if step then
      state, keep, ok = test_step_call(pred, step(param, state))
    else
      state, keep, ok = test_call(pred, gen(param, state))
    end
    if state == nil then
      return true
    end
    if keep and not ok then
      return false
    end
  end
end

--- any(pred, gen, param, state) -> true if pred(...) is truthy for some element; stops at the
--- first one. Alias: some.
local function any(pred, gen, param, state)
  check_callable("any", "pred", pred)
  gen, param, state = rawiter("any", gen, param, state)
  local step = step_of[gen]
  local keep, ok
  while true do
    if step then
      state, keep, ok = test_step_call(pred, step(param, state))
    else
      state, keep, ok = test_call(pred, gen(param, state))
    end
    if state == nil then
      return false
    end
    if keep and ok then
      return true
    end
  end
end

-- the first value of the next kept element: state, value (state is nil at the end)
local function next_kept(step, gen, param, state)
  if step then
    local keep, v
    repeat
      state, keep, v = step(param, state)
    until state == nil or keep
    return state, v
  end
  return gen(param, state)
end

--- sum(gen, param, state) -> sum of the first values (0 when empty).
local function sum(gen, param, state)
  gen, param, state = rawiter("sum", gen, param, state)
  local s = 0
  local v
  local push, kind, first, last, by = push_plan(gen, param, state)
  local keep
  if kind == 2 then
    for i = first, last, by do
      keep, v = push(param, i)
      if keep then
        s = s + v
      elseif keep == nil then
        break
      end
    end
    return s
  elseif kind == 1 then
    local t = param.srcp
    for i = first, MAX_INT do
      local x = t[i]
      if x == nil then
        break
      end
      keep, v = push(param, x)
      if keep then
        s = s + v
      elseif keep == nil then
        break
      end
    end
    return s
  end
  local step = step_of[gen]
  if step then
    while true do
      state, keep, v = step(param, state)
      if state == nil then
        return s
      end
      if keep then
        s = s + v
      end
    end
  end
  while true do
    state, v = gen(param, state)
    if state == nil then
      return s
    end
    s = s + v
  end
end

--- product(gen, param, state) -> product of the first values (1 when empty).
local function product(gen, param, state)
  gen, param, state = rawiter("product", gen, param, state)
  local p = 1
  local v
  local step = step_of[gen]
  if step then
    local keep
    while true do
      state, keep, v = step(param, state)
      if state == nil then
        return p
      end
      if keep then
        p = p * v
      end
    end
  end
  while true do
    state, v = gen(param, state)
    if state == nil then
      return p
    end
    p = p * v
  end
end

--- min(gen, param, state) -> the smallest first value by `<`. Alias: minimum.
--- Errors: raises "min: iterator is empty".
local function min(gen, param, state)
  gen, param, state = rawiter("min", gen, param, state)
  local step = step_of[gen]
  local m, v
  state, m = next_kept(step, gen, param, state)
  if state == nil then
    error("min: iterator is empty", 2)
  end
  local keep = true
  while true do
    if step then
      state, keep, v = step(param, state)
    else
      state, v = gen(param, state)
    end
    if state == nil then
      return m
    end
    if keep and v < m then
      m = v
    end
  end
end

--- max(gen, param, state) -> the largest first value by `>`. Alias: maximum.
--- Errors: raises "max: iterator is empty".
local function max(gen, param, state)
  gen, param, state = rawiter("max", gen, param, state)
  local step = step_of[gen]
  local m, v
  state, m = next_kept(step, gen, param, state)
  if state == nil then
    error("max: iterator is empty", 2)
  end
  local keep = true
  while true do
    if step then
      state, keep, v = step(param, state)
    else
      state, v = gen(param, state)
    end
    if state == nil then
      return m
    end
    if keep and v > m then
      m = v
    end
  end
end

-- min_by and max_by: m = cmp(m, x)
local function fold_by(fname, cmp, gen, param, state)
  gen, param, state = rawiter(fname, gen, param, state)
  local step = step_of[gen]
  local m, v
  state, m = next_kept(step, gen, param, state)
  if state == nil then
    error(fname .. ": iterator is empty", 3)
  end
  local keep = true
  while true do
    if step then
      state, keep, v = step(param, state)
    else
      state, v = gen(param, state)
    end
    if state == nil then
      return m
    end
    if keep then
      m = cmp(m, v)
    end
  end
end

--- min_by(cmp, gen, param, state) -> m, where m = cmp(m, x) over the elements: cmp returns the
--- smaller of its two arguments. Alias: minimum_by. Errors: raises on an empty iterator.
local function min_by(cmp, gen, param, state)
  check_callable("min_by", "cmp", cmp)
  return (fold_by("min_by", cmp, gen, param, state))
end

--- max_by(cmp, gen, param, state) -> like min_by; cmp returns the larger argument.
--- Alias: maximum_by. Errors: raises on an empty iterator.
local function max_by(cmp, gen, param, state)
  check_callable("max_by", "cmp", cmp)
  return (fold_by("max_by", cmp, gen, param, state))
end

-------------------------------------------------------------------------------
-- Transformations
-------------------------------------------------------------------------------

local function map_call(f, state_x, ...)
  if state_x == nil then
    return nil
  end
  return state_x, f(...)
end

local function map_gen(param, state)
  return map_call(param[3], param[1](param[2], state))
end

local function map_step_fused(f, state_x, keep, ...)
  if state_x == nil then
    return nil
  end
  if keep then
    return state_x, true, f(...)
  end
  return state_x, false
end

local function map_step_plain(f, state_x, ...)
  if state_x == nil then
    return nil
  end
  return state_x, true, f(...)
end

local function map_step(param, state)
  local step_x = param[4]
  if step_x then
    return map_step_fused(param[3], step_x(param[2], state))
  end
  return map_step_plain(param[3], param[1](param[2], state))
end
step_of[map_gen] = map_step

local function map_push_k(f, keep, ...)
  if keep then
    return true, f(...)
  end
  return keep
end

local function map_push(param, ...)
  local push_x = param[5]
  if push_x then
    return map_push_k(param[3], push_x(param[2], ...))
  end
  return true, param[3](...)
end
push_of[map_gen] = map_push

--- map(f, gen, param, state) -> iterator over f(...) of every element.
---   fun.map(function(x) return 2 * x end, {1, 2}):totable()  --> {2, 4}
local function map(f, gen, param, state)
  check_callable("map", "f", f)
  gen, param, state = rawiter("map", gen, param, state)
  return wrap(map_gen, fused_param(gen, param, f, gen, param), state)
end

local function enumerate_call(i, state_x, ...)
  if state_x == nil then
    return nil
  end
  return { i, state_x }, i, ...
end

local function enumerate_gen(param, state)
  return enumerate_call(state[1] + 1, param[1](param[2], state[2]))
end

-- arrays and strings iterated from the start: the state already is the position
local function enumerate_index_call(state_x, ...)
  if state_x == nil then
    return nil
  end
  return state_x, state_x, ...
end

local function enumerate_index_gen(param, state)
  return enumerate_index_call(param[1](param[2], state))
end

--- enumerate(gen, param, state) -> iterator over i, ... with i = 1, 2, ...
local function enumerate(gen, param, state)
  gen, param, state = rawiter("enumerate", gen, param, state)
  if (gen == array_gen or gen == string_gen) and state == 0 then
    return wrap(enumerate_index_gen, { gen, param }, 0)
  end
  return wrap(enumerate_gen, { gen, param }, { 0, state })
end

-- states: {0, s} nothing given yet; {1, s} an element was given last; {2, s, n, ...} x was
-- given last and the n values of the next element wait in the state
local function intersperse_first(state_x, ...)
  if state_x == nil then
    return nil
  end
  return { 1, state_x }, ...
end

local function intersperse_hold(x, state_x, ...)
  if state_x == nil then
    return nil
  end
  return { 2, state_x, select("#", ...), ... }, x
end

local function intersperse_gen(param, state)
  local phase = state[1]
  if phase == 1 then
    return intersperse_hold(param[1], param[2](param[3], state[2]))
  elseif phase == 2 then
    return { 1, state[2] }, unpack(state, 4, 3 + state[3])
  end
  return intersperse_first(param[2](param[3], state[2]))
end

--- intersperse(x, gen, param, state) -> iterator with x between consecutive elements
--- (never after the last; Lua Fun also appends it after the last element).
local function intersperse(x, gen, param, state)
  gen, param, state = rawiter("intersperse", gen, param, state)
  return wrap(intersperse_gen, { x, gen, param }, { 0, state })
end

-------------------------------------------------------------------------------
-- Compositions
-------------------------------------------------------------------------------

-- Collects the iterables passed to zip/chain into param[3i-2..3i] = gen, param, state.
-- An iterator object returned as the last argument of a call arrives followed by its own
-- param and state (see wrap); those two are skipped.
-- A raw triple is recognised too: a function followed by two arguments of which the second
-- (the state) cannot be an iterable (a number, boolean, nil or cdata). Anything else must be
-- wrapped with iter().
local non_iterable_state = { number = true, boolean = true, ["nil"] = true, cdata = true }

local function collect_iterables(fname, ...)
  local n = select("#", ...)
  local triples = {}
  local count, i = 0, 1
  while i <= n do
    local obj = select(i, ...)
    local g, p, s
    if type(obj) == "function" and i + 2 <= n and non_iterable_state[type((select(i + 2, ...)))] then
      g, p, s = obj, select(i + 1, ...)
      i = i + 2
    else
      g, p, s = rawiter(fname, obj, nil, nil, 4)
      if is_iterator(obj) and i + 2 <= n then
        local np, ns = select(i + 1, ...)
        if rawequal(np, obj.param) and rawequal(ns, obj.state) then
          i = i + 2
        end
      end
    end
    count = count + 1
    triples[3 * count - 2], triples[3 * count - 1], triples[3 * count] = g, p, s
    i = i + 1
  end
  triples.n = count
  return triples
end

-- builds the values from the last iterator to the first; ends when any of them ends
local function zip_step(param, state, new_state, i, ...)
  if i == 0 then
    return new_state, ...
  end
  local s, v = param[3 * i - 2](param[3 * i - 1], state[i])
  if s == nil then
    return nil
  end
  new_state[i] = s
  return zip_step(param, state, new_state, i - 1, v, ...)
end

local function zip_gen(param, state)
  return zip_step(param, state, {}, param.n)
end

--- zip(...) -> iterator over the i-th first values of every iterable, until the shortest ends.
---   fun.zip({"a", "b"}, fun.range(5)):each(print)   --> a 1, b 2
local function zip(...)
  local param = collect_iterables("zip", ...)
  if param.n == 0 then
    return wrap(nil_gen, nil, nil)
  end
  local state = {}
  for i = 1, param.n do
    state[i] = param[3 * i]
  end
  return wrap(zip_gen, param, state)
end

local function cycle_first(state_x, ...)
  if state_x == nil then
    return nil
  end
  return state_x, ...
end

local function cycle_call(param, state_x, ...)
  if state_x == nil then
    return cycle_first(param[1](param[2], param[3]))
  end
  return state_x, ...
end

local function cycle_gen(param, state)
  return cycle_call(param, param[1](param[2], state))
end

--- cycle(gen, param, state) -> infinite iterator repeating the elements (empty stays empty).
local function cycle(gen, param, state)
  gen, param, state = rawiter("cycle", gen, param, state)
  return wrap(cycle_gen, { gen, param, state }, state)
end

local function chain_step(param, i, state_x, ...)
  if state_x ~= nil then
    return { i, state_x }, ...
  end
  i = i + 1
  if i > param.n then
    return nil
  end
  return chain_step(param, i, param[3 * i - 2](param[3 * i - 1], param[3 * i]))
end

local function chain_gen(param, state)
  local i = state[1]
  return chain_step(param, i, param[3 * i - 2](param[3 * i - 1], state[2]))
end

--- chain(...) -> iterator over the elements of every iterable, one after the other.
local function chain(...)
  local param = collect_iterables("chain", ...)
  if param.n == 0 then
    return wrap(nil_gen, nil, nil)
  end
  return wrap(chain_gen, param, { 1, param[3] })
end

-------------------------------------------------------------------------------
-- Operators
-------------------------------------------------------------------------------

local operator = {
  lt = function(a, b) return a < b end,
  le = function(a, b) return a <= b end,
  eq = function(a, b) return a == b end,
  ne = function(a, b) return a ~= b end,
  ge = function(a, b) return a >= b end,
  gt = function(a, b) return a > b end,

  add = function(a, b) return a + b end,
  sub = function(a, b) return a - b end,
  mul = function(a, b) return a * b end,
  div = function(a, b) return a / b end,
  truediv = function(a, b) return a / b end,
  floordiv = function(a, b) return floor(a / b) end,
  intdiv = function(a, b)
    local q = a / b
    if a >= 0 then
      return floor(q)
    end
    return ceil(q)
  end,
  mod = function(a, b) return a % b end,
  pow = function(a, b) return a ^ b end,
  neg = function(a) return -a end,
  neq = function(a) return -a end, -- Lua Fun's spelling of neg
  unm = function(a) return -a end,

  concat = function(a, b) return a .. b end,
  len = function(a) return #a end,
  length = function(a) return #a end,

  land = function(a, b) return a and b end,
  lor = function(a, b) return a or b end,
  lnot = function(a) return not a end,
  truth = function(a) return not not a end,
}

-------------------------------------------------------------------------------
-- Exports and methods
-------------------------------------------------------------------------------

local function method0(fn)
  return function(self)
    return fn(self.gen, self.param, self.state)
  end
end

local function method1(fn)
  return function(self, a)
    return fn(a, self.gen, self.param, self.state)
  end
end

local function method2(fn)
  return function(self, a, b)
    return fn(a, b, self.gen, self.param, self.state)
  end
end

local function add(fn, kind, ...)
  for i = 1, select("#", ...) do
    local name = select(i, ...)
    exports[name] = fn
    if kind == 0 then
      methods[name] = method0(fn)
    elseif kind == 1 then
      methods[name] = method1(fn)
    elseif kind == 2 then
      methods[name] = method2(fn)
    elseif kind == "self" then
      methods[name] = fn
    end
  end
end

-- kind: 0 = method takes no argument, 1 = one argument before the iterator, 2 = two,
-- "self" = the method passes the iterator itself as the first iterable, nil = no method
add(iter, 0, "iter")
add(wrap, nil, "wrap")
add(unwrap, "self", "unwrap")
add(from, nil, "from")
add(each, 1, "each", "for_each", "foreach")

add(range, nil, "range")
add(duplicate, nil, "duplicate", "xrepeat", "replicate")
add(tabulate, nil, "tabulate")
add(zeros, nil, "zeros")
add(ones, nil, "ones")
add(rands, nil, "rands")

add(nth, 1, "nth")
add(head, 0, "head", "car")
add(tail, 0, "tail", "cdr")
add(take_n, 1, "take_n")
add(take_while, 1, "take_while")
add(take, 1, "take")
add(drop_n, 1, "drop_n")
add(drop_while, 1, "drop_while")
add(drop, 1, "drop")
add(span, 1, "span", "split", "split_at")

add(index, 1, "index", "index_of", "elem_index")
add(indexes, 1, "indexes", "indices", "elem_indexes", "elem_indices")

add(filter, 1, "filter", "remove_if")
add(grep, 1, "grep")
add(partition, 1, "partition")

add(foldl, 2, "foldl", "reduce")
add(length, 0, "length")
add(totable, 0, "totable")
add(tomap, 0, "tomap")
add(is_prefix_of, "self", "is_prefix_of")
add(is_null, 0, "is_null")
add(all, 1, "all", "every")
add(any, 1, "any", "some")
add(sum, 0, "sum")
add(product, 0, "product")
add(min, 0, "min", "minimum")
add(min_by, 1, "min_by", "minimum_by")
add(max, 0, "max", "maximum")
add(max_by, 1, "max_by", "maximum_by")

add(map, 1, "map")
add(enumerate, 0, "enumerate")
add(intersperse, 1, "intersperse")

add(zip, "self", "zip")
add(cycle, 0, "cycle")
add(chain, "self", "chain")

exports.operator = operator
exports.op = operator

--- require("fun")([override]) -> the module: copies every function (and `operator`, `op`)
--- into globals. Names that already exist as globals are left alone unless override is true.
return setmetatable(exports, {
  __call = function(self, override)
    local G = _G
    for name, value in pairs(self) do
      if override or rawget(G, name) == nil then
        rawset(G, name, value)
      end
    end
    return self
  end,
})
