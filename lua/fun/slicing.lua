-- fun.slicing: nth, head, tail, take*, drop*, span; index and indexes.
-- A part of fun: lua/fun.lua is the front file that exports the API.
--
-- Deliberate copies: every stage writes out its own step (pull) and push functions, fused and
-- plain, of the same shape as its neighbours', rather than one generic pair taking the
-- per-element test as a function, for the reason fun.reduce gives for its loops (a compiled
-- trace is specialised on the functions it calls). Folding them is untried.

local type, select, error, rawequal, unpack = type, select, error, rawequal, unpack
local strsub, floor = string.sub, math.floor
local core = require("fun.core")
local step_of, push_of, wrap, describe = core.step_of, core.push_of, core.wrap, core.describe
local check_callable, check_count, nil_gen, array_gen = core.check_callable, core.check_count, core.nil_gen, core.array_gen
local string_gen, rawiter, fused_param = core.string_gen, core.rawiter, core.fused_param

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

return {
  nth = nth,
  head = head,
  tail = tail,
  take_n = take_n,
  take_while = take_while,
  take = take,
  drop_n = drop_n,
  drop_while = drop_while,
  drop = drop,
  span = span,
  index = index,
  indexes = indexes,
}
