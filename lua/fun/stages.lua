-- fun.stages: the fused stages filter, grep, partition and map, plus enumerate and intersperse.
-- A part of fun: lua/fun.lua is the front file that exports the API.
--
-- Deliberate copies: every stage writes out its own step (pull) and push functions, fused and
-- plain, of the same shape as its neighbours', rather than one generic pair taking the
-- per-element test as a function, for the reason fun.reduce gives for its loops (a compiled
-- trace is specialised on the functions it calls). Folding them is untried.

local type, select, unpack = type, select, unpack
local strfind = string.find
local core = require("fun.core")
local step_of, push_of, wrap, check_callable = core.step_of, core.push_of, core.wrap, core.check_callable
local array_gen, string_gen, rawiter, fused_param = core.array_gen, core.string_gen, core.rawiter, core.fused_param

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

return {
  filter = filter,
  grep = grep,
  partition = partition,
  map = map,
  enumerate = enumerate,
  intersperse = intersperse,
}
