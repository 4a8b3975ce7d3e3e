-- fun.reduce: the reducing functions (foldl, length, totable, tomap, all, any, sum, min, max, ...),
-- which drive a pipeline by pushing (see fun.core).
-- A part of fun: lua/fun.lua is the front file that exports the API.
--
-- Deliberate copies: each reducer writes out its own numeric-for, push and step loops rather than
-- sharing one driver that takes the per-element work as a function. LuaJIT specialises a compiled
-- loop on the functions it calls, so a shared driver would see every reducer's work function and
-- trace polymorphically (see all/any below). Measured (issue 20): min and max folded into
-- fold_by's loop with a comparator each made min_by over 1 M numbers 5x slower (5.2 -> 27.7 ms)
-- and a mix of min, max and min_by 1.6x slower, once one loop served three callers.

local error = error
local core = require("fun.core")
local step_of, MAX_INT, check_callable, array_gen = core.step_of, core.MAX_INT, core.check_callable, core.array_gen
local string_gen, rawiter, push_plan = core.string_gen, core.rawiter, core.push_plan

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

return {
  foldl = foldl,
  length = length,
  totable = totable,
  tomap = tomap,
  is_prefix_of = is_prefix_of,
  is_null = is_null,
  all = all,
  any = any,
  sum = sum,
  product = product,
  min = min,
  max = max,
  min_by = min_by,
  max_by = max_by,
}
