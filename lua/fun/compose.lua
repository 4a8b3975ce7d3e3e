-- fun.compose: zip, cycle, chain, and the operator table.
-- A part of fun: lua/fun.lua is the front file that exports the API.

local type, select, rawequal = type, select, rawequal
local floor, ceil = math.floor, math.ceil
local core = require("fun.core")
local wrap, is_iterator, nil_gen, rawiter = core.wrap, core.is_iterator, core.nil_gen, core.rawiter

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

return {
  zip = zip,
  cycle = cycle,
  chain = chain,
  operator = operator,
}
