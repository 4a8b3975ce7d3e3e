-- bench/fun_pipeline.lua: a map/filter/reduce pipeline over 10 M numbers written with `fun`,
-- against the same computation as a hand-written loop, in the same run.
--
--   LUA_PATH='lua/?.lua;;' luajit bench/fun_pipeline.lua [count]
--
-- Each side runs ROUNDS times, alternating, and the best time of each counts, so a round that
-- met a cold JIT or a GC step does not decide the ratio. Both sides call their own copies of
-- the same three functions (separate prototypes, so neither side reuses the other's traces).
-- Prints: fun pipeline 10M: fun X ms, loop Y ms, ratio Z (target <= 1.5)

local fun = require("fun")
local StopWatch = require("StopWatch")

local N = tonumber(arg and arg[1]) or 10000000
local ROUNDS = 5
local TARGET = 1.5

-- The functions are defined once, as hot code should do: LuaJIT specialises a compiled loop
-- on the closures it calls (see docs/fun.md, "Speed").
local function triple_f(x) return x * 3 end
local function even_f(x) return x % 2 == 0 end
local function add_f(acc, x) return acc + x end

local function with_fun(n)
  return fun.range(n):map(triple_f):filter(even_f):reduce(add_f, 0)
end

local function triple_l(x) return x * 3 end
local function even_l(x) return x % 2 == 0 end
local function add_l(acc, x) return acc + x end

local function with_loop(n)
  local acc = 0
  for i = 1, n do
    local y = triple_l(i)
    if even_l(y) then
      acc = add_l(acc, y)
    end
  end
  return acc
end

local function time(fn)
  collectgarbage()
  local sw = StopWatch()
  local result = fn(N)
  return sw:Milliseconds(), result
end

local best_fun, best_loop = math.huge, math.huge
local expected
for _ = 1, ROUNDS do
  local ms_fun, r_fun = time(with_fun)
  local ms_loop, r_loop = time(with_loop)
  expected = expected or r_loop
  assert(r_fun == expected and r_loop == expected,
    string.format("fun_pipeline: results differ (fun %s, loop %s, expected %s)",
      tostring(r_fun), tostring(r_loop), tostring(expected)))
  best_fun = math.min(best_fun, ms_fun)
  best_loop = math.min(best_loop, ms_loop)
end

local label = N % 1000000 == 0 and string.format("%dM", N / 1000000) or tostring(N)
print(string.format("fun pipeline %s: fun %.1f ms, loop %.1f ms, ratio %.2f (target <= %.1f)",
  label, best_fun, best_loop, best_fun / best_loop, TARGET))
