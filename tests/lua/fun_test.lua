-- fun_test: every function of `fun` against a plain-Lua reference on seeded random inputs
-- (sizes 0..40 plus a few large ones), through every way of passing an iterator (array,
-- raw triple, range, method chain) and through the fused and unfused paths; plus aliases,
-- strings, maps, nil holes, errors, statelessness and the global export.
--
--   LUA_PATH='lua/?.lua;;' luajit tests/lua/fun_test.lua

local fun = require("fun")
local check_error = require("lib.checks").error

math.randomseed(42)

local unpack = unpack or table.unpack -- luacheck: ignore 143
local pack = function(...)
  return { n = select("#", ...), ... }
end

-------------------------------------------------------------------------------
-- helpers
-------------------------------------------------------------------------------

local function show(v)
  if type(v) ~= "table" then
    return tostring(v)
  end
  local parts = {}
  for i = 1, (v.n or #v) do
    parts[#parts + 1] = show(v[i])
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function deep_eq(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then
    return a == b or (a ~= a and b ~= b)
  end
  local na, nb = a.n or #a, b.n or #b
  if na ~= nb then
    return false
  end
  for i = 1, na do
    if not deep_eq(a[i], b[i]) then
      return false
    end
  end
  return true
end

local function check_eq(got, want, what)
  assert(deep_eq(got, want), string.format("%s: got %s, want %s", what, show(got), show(want)))
end


-- every element of an iterator object or triple as an array of value tuples {n = k, ...},
-- read by calling gen directly (independent of fun's consumers)
local function elements(g, p, s)
  if type(g) == "table" then
    g, p, s = g.gen, g.param, g.state
  end
  local out = {}
  for _ = 1, 100000 do
    local r = pack(g(p, s))
    if r[1] == nil then
      return out
    end
    s = r[1]
    out[#out + 1] = { n = r.n - 1, unpack(r, 2, r.n) }
  end
  error("elements: iterator did not end")
end

-- first values only
local function firsts(g, p, s)
  local out = {}
  for i, e in ipairs(elements(g, p, s)) do
    out[i] = e[1]
  end
  return out
end

-- a raw stateless triple over an array, not known to fun (exercises the generic paths)
local function raw_gen(t, i)
  i = i + 1
  if t[i] == nil then
    return nil
  end
  return i, t[i]
end
local function raw(t)
  return raw_gen, t, 0
end

-- a raw triple yielding two values (i, v) per element, like DeviceRecordSet:devices()
local function raw2_gen(t, i)
  i = i + 1
  if t[i] == nil then
    return nil
  end
  return i, i, t[i]
end

local function random_array(n, lo, hi)
  local t = {}
  for i = 1, n do
    t[i] = math.random(lo or -20, hi or 20)
  end
  return t
end

local SIZES = {}
for n = 0, 40 do
  SIZES[#SIZES + 1] = n
end
SIZES[#SIZES + 1] = 100
SIZES[#SIZES + 1] = 1000

-------------------------------------------------------------------------------
-- plain-Lua references (on arrays of single values)
-------------------------------------------------------------------------------

local ref = {}
function ref.map(f, a)
  local r = {}
  for i = 1, #a do r[i] = f(a[i]) end
  return r
end
function ref.filter(p, a)
  local r = {}
  for i = 1, #a do if p(a[i]) then r[#r + 1] = a[i] end end
  return r
end
function ref.reject(p, a)
  return ref.filter(function(x) return not p(x) end, a)
end
function ref.take_n(n, a)
  local r = {}
  for i = 1, math.min(n, #a) do r[i] = a[i] end
  return r
end
function ref.drop_n(n, a)
  local r = {}
  for i = n + 1, #a do r[#r + 1] = a[i] end
  return r
end
function ref.take_while(p, a)
  local r = {}
  for i = 1, #a do
    if not p(a[i]) then break end
    r[i] = a[i]
  end
  return r
end
function ref.drop_while(p, a)
  local i = 1
  while i <= #a and p(a[i]) do i = i + 1 end
  return ref.drop_n(i - 1, a)
end
function ref.foldl(f, acc, a)
  for i = 1, #a do acc = f(acc, a[i]) end
  return acc
end
function ref.index(x, a)
  for i = 1, #a do if a[i] == x then return i end end
  return nil
end
function ref.indexes(x, a)
  local r = {}
  for i = 1, #a do if a[i] == x then r[#r + 1] = i end end
  return r
end
function ref.intersperse(x, a)
  local r = {}
  for i = 1, #a do
    if i > 1 then r[#r + 1] = x end
    r[#r + 1] = a[i]
  end
  return r
end
function ref.chain(...)
  local r = {}
  for k = 1, select("#", ...) do
    local a = select(k, ...)
    for i = 1, #a do r[#r + 1] = a[i] end
  end
  return r
end
function ref.range(start, stop, step)
  local r = {}
  if step > 0 then
    local v = start
    while v <= stop do r[#r + 1] = v; v = v + step end
  else
    local v = start
    while v >= stop do r[#r + 1] = v; v = v + step end
  end
  return r
end

local function random_pred()
  local k = math.random(1, 4)
  local m = math.random(0, k - 1)
  return function(x) return x % k == m end
end

local function random_fn()
  local a, b = math.random(-3, 3), math.random(-5, 5)
  return function(x) return a * x + b end
end

local function add(acc, x) return acc + x end

-------------------------------------------------------------------------------
-- generators
-------------------------------------------------------------------------------

do
  check_eq(firsts(fun.range(5)), { 1, 2, 3, 4, 5 }, "range(5)")
  check_eq(firsts(fun.range(-5)), { -1, -2, -3, -4, -5 }, "range(-5)")
  check_eq(firsts(fun.range(1, 6)), { 1, 2, 3, 4, 5, 6 }, "range(1, 6)")
  check_eq(firsts(fun.range(0, 20, 5)), { 0, 5, 10, 15, 20 }, "range(0, 20, 5)")
  check_eq(firsts(fun.range(0, 10, 3)), { 0, 3, 6, 9 }, "range(0, 10, 3)")
  check_eq(#firsts(fun.range(0, 1.5, 0.2)), 8, "range(0, 1.5, 0.2) has 8 elements")
  check_eq(firsts(fun.range(0)), {}, "range(0)")
  check_eq(firsts(fun.range(1)), { 1 }, "range(1)")
  check_eq(firsts(fun.range(1, 0)), { 1, 0 }, "range(1, 0)")
  check_eq(firsts(fun.range(10, 1, -3)), { 10, 7, 4, 1 }, "range(10, 1, -3)")
  check_error("range: step must not be zero", "range step 0", fun.range, 0, 10, 0)
  check_error("range: stop must be a number", "range('x')", fun.range, "x")
  for _ = 1, 200 do
    local start, stop = math.random(-30, 30), math.random(-30, 30)
    local step = math.random(1, 5) * (math.random(0, 1) == 0 and 1 or -1)
    check_eq(firsts(fun.range(start, stop, step)), ref.range(start, stop, step),
      string.format("range(%d, %d, %d)", start, stop, step))
    local dstep = start <= stop and 1 or -1
    check_eq(firsts(fun.range(start, stop)), ref.range(start, stop, dstep),
      string.format("range(%d, %d)", start, stop))
  end

  check_eq(elements(fun.take(3, fun.duplicate("a", "b"))),
    { { n = 2, "a", "b" }, { n = 2, "a", "b" }, { n = 2, "a", "b" } }, "duplicate two values")
  check_eq(firsts(fun.take(4, fun.xrepeat("x"))), { "x", "x", "x", "x" }, "xrepeat")
  check_eq(firsts(fun.take(2, fun.replicate(7))), { 7, 7 }, "replicate")
  check_eq(firsts(fun.take(5, fun.tabulate(function(x) return x * x end))), { 0, 1, 4, 9, 16 }, "tabulate")
  check_eq(firsts(fun.take(3, fun.zeros())), { 0, 0, 0 }, "zeros")
  check_eq(firsts(fun.take(3, fun.ones())), { 1, 1, 1 }, "ones")
  for _, v in ipairs(firsts(fun.take(500, fun.rands(10, 20)))) do
    assert(v >= 10 and v < 20 and v == math.floor(v), "rands(10, 20) gives integers in [10, 20), got " .. v)
  end
  for _, v in ipairs(firsts(fun.take(500, fun.rands(5)))) do
    assert(v >= 0 and v < 5 and v == math.floor(v), "rands(5) gives integers in [0, 5), got " .. v)
  end
  for _, v in ipairs(firsts(fun.take(500, fun.rands()))) do
    assert(v >= 0 and v < 1, "rands() gives floats in [0, 1), got " .. v)
  end
  check_eq(#firsts(fun.take(17, fun.rands())), 17, "take(17, rands()) has 17 elements")
  check_error("rands: empty interval", "rands(3, 3)", fun.rands, 3, 3)
end

-------------------------------------------------------------------------------
-- iter: arrays, maps, strings, raw triples, objects with __pairs, for-in loops
-------------------------------------------------------------------------------

do
  check_eq(firsts(fun.iter({ 1, 2, 3 })), { 1, 2, 3 }, "iter(array)")
  check_eq(firsts(fun.iter("abc")), { "a", "b", "c" }, "iter(string)")
  check_eq(firsts(fun.iter("")), {}, "iter('')")
  check_eq(firsts(fun.iter({})), {}, "iter({})")
  check_eq(firsts(fun.iter(raw({ 4, 5 }))), { 4, 5 }, "iter(raw triple)")

  local m = { a = 1, b = 2, c = 3 }
  local seen = {}
  for _, e in ipairs(elements(fun.iter(m))) do
    assert(e.n == 2, "a map yields key, value")
    seen[e[1]] = e[2]
  end
  check_eq({ seen.a, seen.b, seen.c }, { 1, 2, 3 }, "iter(map) yields every key, value")
  check_eq(fun.length(m), 3, "length(map)")

  -- an object with __pairs yields key, value (what a Bag does)
  local proxy = setmetatable({}, { __pairs = function() return next, { x = 10 }, nil end })
  check_eq(elements(fun.iter(proxy)), { { n = 2, "x", 10 } }, "iter(object with __pairs)")

  -- the for-in form of an iterator object
  local got = {}
  for _, x in fun.range(3) do got[#got + 1] = x end
  check_eq(got, { 1, 2, 3 }, "for _it, x in range(3)")
  got = {}
  for _, k, v in fun.iter({ 7, 8 }):enumerate() do got[#got + 1] = k .. "=" .. v end
  check_eq(got, { "1=7", "2=8" }, "for-in over a method chain")

  -- from keeps gen's first result
  check_eq(elements(fun.from(ipairs({ "a", "b" }))), { { n = 2, 1, "a" }, { n = 2, 2, "b" } }, "from(ipairs)")
  check_eq(elements(fun.from(string.gmatch("a1b2", "(%a)(%d)"))), { { n = 2, "a", "1" }, { n = 2, "b", "2" } },
    "from(gmatch)")

  -- wrap/unwrap
  local g, p, s = fun.wrap(raw({ 1, 2 })):unwrap()
  assert(g == raw_gen and p[2] == 2 and s == 0, "unwrap returns the triple wrap was given")
  assert(tostring(fun.range(1)) == "<generator>", "iterators print as <generator>")

  check_error("iter: expected an iterable", "iter(nil)", fun.iter, nil)
  check_error("map: expected an iterable", "map(f, 5)", fun.map, print, 5)
  check_error("each: f must be a function, got nil", "each(nil, t)", fun.each, nil, {})
end

-------------------------------------------------------------------------------
-- nil holes and nil values (docs/fun.md, "Arrays, maps and nil")
-------------------------------------------------------------------------------

do
  local holes = { 1, 2, nil, 4 }
  check_eq(firsts(fun.iter(holes)), { 1, 2 }, "an array is iterated up to its first nil")
  check_eq(fun.length(holes), 2, "length agrees with iteration on an array with a hole")
  check_eq(fun.nth(2, holes), 2, "nth before the hole")
  check_eq(fun.nth(4, holes), nil, "nth after the hole is nil, as iteration ends at the hole")
  check_eq(fun.totable(holes), { 1, 2 }, "totable stops at the hole")
  check_eq(fun.sum(fun.map(function(x) return x end, holes)), 3, "a fused pipeline stops at the hole")
  -- a table whose [1] is nil is a map
  local sparse = { nil, 2 }
  check_eq(elements(fun.iter(sparse)), { { n = 2, 2, 2 } }, "a table without [1] is iterated as a map")
  -- nil values produced by map do not end the iteration; totable skips them
  local halves = fun.map(function(x) if x % 2 == 0 then return nil end return x end, fun.range(6))
  check_eq(fun.length(halves), 6, "nil values from map do not end the iteration")
  check_eq(fun.totable(halves), { 1, 3, 5 }, "totable skips nil values")
  check_eq(fun.totable(fun.map(function(x) if x % 2 == 0 then return nil end return x end, { 1, 2, 3, 4, 5, 6 })),
    { 1, 3, 5 }, "totable skips nil values (array source)")
  local function nil_every_other(_, i)
    if i >= 6 then return nil end
    i = i + 1
    if i % 2 == 0 then return i, nil end
    return i, i
  end
  check_eq(fun.totable(nil_every_other, nil, 0), { 1, 3, 5 }, "totable skips nil values (raw triple)")
  check_eq(fun.length(nil_every_other, nil, 0), 6, "nil values from a raw triple do not end it")
end

-------------------------------------------------------------------------------
-- property tests against the references
-------------------------------------------------------------------------------

local function as_args(kind, a)
  if kind == "array" then
    return a
  elseif kind == "raw" then
    return raw(a)
  elseif kind == "iter" then
    return fun.iter(a)
  end
end

local KINDS = { "array", "raw", "iter" }

for _, n in ipairs(SIZES) do
  local a = random_array(n)
  local f, p = random_fn(), random_pred()
  local k = math.random(0, n + 2)
  local x = a[math.random(1, math.max(n, 1))] or 0
  local what = function(name, kind)
    return string.format("%s over %s of %d", name, kind, n)
  end

  for _, kind in ipairs(KINDS) do
    local function src() return as_args(kind, a) end
    -- transformations and slicing
    check_eq(firsts(fun.map(f, src())), ref.map(f, a), what("map", kind))
    check_eq(firsts(fun.filter(p, src())), ref.filter(p, a), what("filter", kind))
    check_eq(firsts(fun.remove_if(p, src())), ref.filter(p, a), what("remove_if", kind))
    check_eq(firsts(fun.grep(p, src())), ref.filter(p, a), what("grep(pred)", kind))
    local yes, no = fun.partition(p, src())
    check_eq(firsts(yes), ref.filter(p, a), what("partition (first)", kind))
    check_eq(firsts(no), ref.reject(p, a), what("partition (second)", kind))
    check_eq(firsts(fun.take_n(k, src())), ref.take_n(k, a), what("take_n", kind))
    check_eq(firsts(fun.take(k, src())), ref.take_n(k, a), what("take(n)", kind))
    check_eq(firsts(fun.take_while(p, src())), ref.take_while(p, a), what("take_while", kind))
    check_eq(firsts(fun.take(p, src())), ref.take_while(p, a), what("take(pred)", kind))
    check_eq(firsts(fun.drop_n(k, src())), ref.drop_n(k, a), what("drop_n", kind))
    check_eq(firsts(fun.drop(k, src())), ref.drop_n(k, a), what("drop(n)", kind))
    check_eq(firsts(fun.drop_while(p, src())), ref.drop_while(p, a), what("drop_while", kind))
    check_eq(firsts(fun.drop(p, src())), ref.drop_while(p, a), what("drop(pred)", kind))
    for _, name in ipairs({ "span", "split", "split_at" }) do
      local h, t = fun[name](k, src())
      check_eq(firsts(h), ref.take_n(k, a), what(name .. " (head)", kind))
      check_eq(firsts(t), ref.drop_n(k, a), what(name .. " (rest)", kind))
      h, t = fun[name](p, src())
      check_eq(firsts(h), ref.take_while(p, a), what(name .. " pred (head)", kind))
      check_eq(firsts(t), ref.drop_while(p, a), what(name .. " pred (rest)", kind))
    end
    check_eq(firsts(fun.tail(src())), ref.drop_n(1, a), what("tail", kind))
    check_eq(firsts(fun.cdr(src())), ref.drop_n(1, a), what("cdr", kind))
    if n > 0 then
      check_eq(fun.head(src()), a[1], what("head", kind))
      check_eq(fun.car(src()), a[1], what("car", kind))
      check_eq(fun.min(src()), math.min(unpack(a)), what("min", kind))
      check_eq(fun.minimum(src()), math.min(unpack(a)), what("minimum", kind))
      check_eq(fun.max(src()), math.max(unpack(a)), what("max", kind))
      check_eq(fun.maximum(src()), math.max(unpack(a)), what("maximum", kind))
      local smaller = function(u, v) if v < u then return v end return u end
      local larger = function(u, v) if v > u then return v end return u end
      check_eq(fun.min_by(smaller, src()), math.min(unpack(a)), what("min_by", kind))
      check_eq(fun.minimum_by(smaller, src()), math.min(unpack(a)), what("minimum_by", kind))
      check_eq(fun.max_by(larger, src()), math.max(unpack(a)), what("max_by", kind))
      check_eq(fun.maximum_by(larger, src()), math.max(unpack(a)), what("maximum_by", kind))
    else
      check_error("head: iterator is empty", what("head", kind), fun.head, src())
      check_error("min: iterator is empty", what("min", kind), fun.min, src())
      check_error("max: iterator is empty", what("max", kind), fun.max, src())
      check_error("min_by: iterator is empty", what("min_by", kind), fun.min_by, math.min, src())
      check_error("max_by: iterator is empty", what("max_by", kind), fun.max_by, math.max, src())
    end
    for i = 1, n + 2 do
      check_eq(fun.nth(i, src()), a[i], what("nth(" .. i .. ")", kind))
    end
    -- indexing
    check_eq(fun.index(x, src()), ref.index(x, a), what("index", kind))
    check_eq(fun.index_of(x, src()), ref.index(x, a), what("index_of", kind))
    check_eq(fun.elem_index(x, src()), ref.index(x, a), what("elem_index", kind))
    for _, name in ipairs({ "indexes", "indices", "elem_indexes", "elem_indices" }) do
      check_eq(firsts(fun[name](x, src())), ref.indexes(x, a), what(name, kind))
    end
    -- reducing
    check_eq(fun.foldl(add, 0, src()), ref.foldl(add, 0, a), what("foldl", kind))
    check_eq(fun.reduce(add, 0, src()), ref.foldl(add, 0, a), what("reduce", kind))
    check_eq(fun.length(src()), n, what("length", kind))
    check_eq(fun.totable(src()), a, what("totable", kind))
    check_eq(fun.is_null(src()), n == 0, what("is_null", kind))
    check_eq(fun.all(p, src()), #ref.filter(p, a) == n, what("all", kind))
    check_eq(fun.every(p, src()), #ref.filter(p, a) == n, what("every", kind))
    check_eq(fun.any(p, src()), #ref.filter(p, a) > 0, what("any", kind))
    check_eq(fun.some(p, src()), #ref.filter(p, a) > 0, what("some", kind))
    check_eq(fun.sum(src()), ref.foldl(add, 0, a), what("sum", kind))
    local small = ref.map(function(v) return v % 3 + 1 end, a)
    check_eq(fun.product(as_args(kind, small)), ref.foldl(function(u, v) return u * v end, 1, small),
      what("product", kind))
    -- enumerate and intersperse
    local en = elements(fun.enumerate(src()))
    check_eq(#en, n, what("enumerate length", kind))
    for i, e in ipairs(en) do
      check_eq(e, { n = 2, i, a[i] }, what("enumerate element " .. i, kind))
    end
    check_eq(firsts(fun.intersperse("x", src())), ref.intersperse("x", a), what("intersperse", kind))
    -- each
    local seen = {}
    fun.each(function(v) seen[#seen + 1] = v end, src())
    check_eq(seen, a, what("each", kind))
    for _, name in ipairs({ "for_each", "foreach" }) do
      seen = {}
      fun[name](function(v) seen[#seen + 1] = v end, src())
      check_eq(seen, a, what(name, kind))
    end
    -- cycle
    check_eq(firsts(fun.take(3 * n, fun.cycle(src()))), ref.chain(a, a, a), what("cycle", kind))
  end

  -- compositions with several iterables
  local b = random_array(math.random(0, 40))
  local zipped = elements(fun.zip(a, fun.iter(b), raw(a)))
  check_eq(#zipped, math.min(#a, #b), "zip length = shortest")
  for i, e in ipairs(zipped) do
    check_eq(e, { n = 3, a[i], b[i], a[i] }, "zip element " .. i)
  end
  check_eq(firsts(fun.chain(a, fun.iter(b), "xy")), ref.chain(a, b, { "x", "y" }), "chain of " .. n)
  check_eq(fun.is_prefix_of(fun.take(k, a), a), true, "take(k, a) is a prefix of a")
  check_eq(fun.is_prefix_of(a, fun.take(k, a)), k >= n, "a is a prefix of take(k, a) iff k >= #a")
  check_eq(fun.is_prefix_of(fun.chain(a, { 1 }), a), false, "a longer iterator is no prefix")
  if n > 0 then
    local changed = { unpack(a) }
    changed[n] = changed[n] + 1
    check_eq(fun.is_prefix_of(changed, a), false, "a different element breaks the prefix")
  end
end

-------------------------------------------------------------------------------
-- fused pipelines: every reducing function over map/filter/take_while chains on array, range,
-- raw-triple and map sources (push, step and generator paths give the same answers)
-------------------------------------------------------------------------------

for round = 1, 150 do
  local n = SIZES[math.random(1, #SIZES)]
  local lo = math.random(-20, 20)
  local a = {}
  for i = 1, n do a[i] = lo + i - 1 end -- a contiguous run, so range(lo, lo + n - 1) is the same
  local f, g, p, q = random_fn(), random_fn(), random_pred(), random_pred()
  -- a random chain of stages, built on any source
  local stages = {}
  for i = 1, math.random(1, 4) do
    local r = math.random(1, 5)
    if r == 1 then stages[i] = { "map", f }
    elseif r == 2 then stages[i] = { "map", g }
    elseif r == 3 then stages[i] = { "filter", p }
    elseif r == 4 then stages[i] = { "remove_if", q }
    else
      local limit = lo + n - math.random(0, 5)
      stages[i] = { "take_while", function(v) return v < limit end }
    end
  end
  local function build(...)
    local it = fun.iter(...)
    for _, s in ipairs(stages) do
      it = it[s[1]](it, s[2])
    end
    return it
  end
  -- the reference: apply the stages to the plain array
  local want = a
  for _, s in ipairs(stages) do
    if s[1] == "map" then want = ref.map(s[2], want)
    elseif s[1] == "filter" or s[1] == "remove_if" then want = ref.filter(s[2], want)
    else want = ref.take_while(s[2], want)
    end
  end
  local label = string.format("pipeline %d (%d stages, %d elements)", round, #stages, n)
  local pipelines = {
    array = build(a),
    range = n > 0 and build(fun.range(lo, lo + n - 1)) or build({}),
    raw = build(raw(a)),
    descending = build(fun.range(lo + n - 1, lo, -1)):totable(), -- reversed below
  }
  local rev = {}
  for i = 1, n do rev[i] = a[n - i + 1] end
  for source, it in pairs(pipelines) do
    if source ~= "descending" then
      local l = label .. " on " .. source
      check_eq(it:totable(), want, l .. ": totable")
      check_eq(firsts(it), want, l .. ": generator")
      check_eq(it:length(), #want, l .. ": length")
      check_eq(it:sum(), ref.foldl(add, 0, want), l .. ": sum")
      check_eq(it:foldl(add, 0), ref.foldl(add, 0, want), l .. ": foldl")
      local seen = {}
      it:each(function(v) seen[#seen + 1] = v end)
      check_eq(seen, want, l .. ": each")
      check_eq(it:all(p), #ref.filter(p, want) == #want, l .. ": all")
      check_eq(it:any(q), #ref.filter(q, want) > 0, l .. ": any")
      check_eq(it:is_null(), #want == 0, l .. ": is_null")
      if #want > 0 then
        check_eq(it:min(), math.min(unpack(want)), l .. ": min")
        check_eq(it:max(), math.max(unpack(want)), l .. ": max")
        check_eq(it:min_by(math.min), math.min(unpack(want)), l .. ": min_by")
        check_eq(it:head(), want[1], l .. ": head")
        check_eq(it:nth(#want), want[#want], l .. ": nth")
      else
        check_error("min: iterator is empty", l .. ": min", fun.min, it)
      end
      local small = it:map(function(v) return v % 3 + 1 end)
      check_eq(small:product(), ref.foldl(function(u, v) return u * (v % 3 + 1) end, 1, want), l .. ": product")
      local pairs_map = it:enumerate():tomap()
      for i = 1, #want do
        check_eq(pairs_map[i], want[i], l .. ": tomap(enumerate) at " .. i)
      end
      -- statelessness: the same iterator twice
      check_eq(it:totable(), want, l .. ": second pass")
    end
  end
  -- descending range with the same stages
  local want_rev = rev
  for _, s in ipairs(stages) do
    if s[1] == "map" then want_rev = ref.map(s[2], want_rev)
    elseif s[1] == "filter" or s[1] == "remove_if" then want_rev = ref.filter(s[2], want_rev)
    else want_rev = ref.take_while(s[2], want_rev)
    end
  end
  if n > 0 then
    check_eq(pipelines.descending, want_rev, label .. " on a descending range")
  end
end

-- fused pipelines over float and unbounded ranges give what the generators give
do
  local f = function(v) return v * 10 end
  local keep = function(v) return v > 0.3 end
  for _, r in ipairs({ { 0, 1.5, 0.2 }, { 0.1, 2.2, 0.7 }, { 3, -1.2, -0.45 }, { 0.5, 3.5, 1 } }) do
    local it = fun.range(r[1], r[2], r[3]):map(f):filter(keep)
    local want = firsts(it)
    check_eq(it:totable(), want, "totable over range(" .. table.concat(r, ", ") .. ")")
    check_eq(it:sum(), fun.foldl(add, 0, firsts(it)), "sum over range(" .. table.concat(r, ", ") .. ")")
  end
  check_eq(fun.range(1, math.huge):map(f):take_while(function(v) return v < 100 end):length(), 9,
    "a fused pipeline over an unbounded range")
end

-- multi-value pipelines through the fused paths
do
  local m = { a = 1, b = 2, c = 3 }
  local got = fun.iter(m):filter(function(_, v) return v > 1 end):map(function(k, v) return k .. v end):totable()
  table.sort(got)
  check_eq(got, { "b2", "c3" }, "filter and map over key, value pairs")
  check_eq(fun.iter(m):map(function(k, v) return k, v * 10 end):tomap().b, 20, "tomap of a mapped map")
  local sum2 = fun.foldl(function(acc, i, v) return acc + i * v end, 0, raw2_gen, { 5, 6, 7 }, 0)
  check_eq(sum2, 1 * 5 + 2 * 6 + 3 * 7, "foldl passes every value of a raw two-value triple")
  local seen = {}
  fun.each(function(i, v) seen[#seen + 1] = i .. ":" .. v end, raw2_gen, { "x", "y" }, 0)
  check_eq(seen, { "1:x", "2:y" }, "each(f, gen, param, state) with two values")
  check_eq(elements(fun.range(3):map(function(v) return v, -v end):filter(function(u) return u ~= 2 end)),
    { { n = 2, 1, -1 }, { n = 2, 3, -3 } }, "multi-value map then filter")
end

-------------------------------------------------------------------------------
-- strings
-------------------------------------------------------------------------------

do
  check_eq(fun.totable("hello"), { "h", "e", "l", "l", "o" }, "totable(string)")
  check_eq(fun.length("hello"), 5, "length(string)")
  check_eq(fun.length(fun.tail("hello")), 4, "length(tail(string))")
  check_eq(fun.nth(2, "hello"), "e", "nth(2, string)")
  check_eq(fun.nth(2, fun.tail("hello")), "l", "nth on an advanced string")
  check_eq(fun.nth(9, "hello"), nil, "nth past the end of a string")
  check_eq(fun.iter("hello"):map(string.upper):foldl(function(acc, c) return acc .. c end, ""), "HELLO",
    "map over a string")
  check_eq(fun.index("l", "hello"), 3, "index in a string")
  check_eq(firsts(fun.indexes("l", "hello")), { 3, 4 }, "indexes in a string")
  check_eq(elements(fun.enumerate("ab")), { { n = 2, 1, "a" }, { n = 2, 2, "b" } }, "enumerate(string)")
  check_eq(fun.totable(fun.grep("^b", { "apple", "banana", "berry", "cherry" })), { "banana", "berry" },
    "grep with a pattern")
  check_eq(fun.totable(fun.intersperse(",", "abc")), { "a", ",", "b", ",", "c" }, "intersperse over a string")
  check_eq(fun.is_prefix_of("ab", "abc"), true, "is_prefix_of on strings")
  check_eq(fun.is_prefix_of("abd", "abc"), false, "is_prefix_of on different strings")
  local count = 0
  for _ = 1, 200 do
    local len = math.random(0, 20)
    local chars = {}
    for i = 1, len do chars[i] = string.char(math.random(97, 100)) end
    local s = table.concat(chars)
    check_eq(fun.totable(s), chars, "totable of a random string")
    check_eq(fun.length(s), len, "length of a random string")
    check_eq(fun.foldl(function(acc, c) return acc .. c end, "", fun.filter(function(c) return c ~= "a" end, s)),
      (s:gsub("a", "")), "filter over a random string")
    count = count + 1
  end
  check_eq(count, 200, "random strings checked")
end

-------------------------------------------------------------------------------
-- documented examples and corner cases
-------------------------------------------------------------------------------

do
  check_eq(fun.sum(fun.range(5)), 15, "sum(range(5))")
  check_eq(fun.product(fun.range(1, 5)), 120, "product(range(1, 5))")
  check_eq(fun.sum({}), 0, "sum of empty")
  check_eq(fun.product({}), 1, "product of empty")
  check_eq(fun.min({ "f", "d", "c", "d", "e" }), "c", "min of strings")
  check_eq(fun.max({ "f", "d", "c", "d", "e" }), "f", "max of strings")
  local min_cmp = function(a, b) if -a < -b then return a else return b end end
  check_eq(fun.min_by(min_cmp, fun.range(1, 10, 1)), 10, "min_by with an inverted order")
  check_eq(fun.foldl(function(acc, x, y) return acc + x * y end, 0, fun.zip(fun.range(1, 5), { 4, 3, 2, 1 })), 20,
    "foldl over zip")
  local tab = fun.tomap(fun.zip(fun.range(1, 7), "abcdef"))
  check_eq({ tab[1], tab[6], tab[7] }, { "a", "f", nil }, "tomap(zip(range, string))")
  check_eq(fun.all(function(x) return x end, {}), true, "all of empty")
  check_eq(fun.any(function(x) return x end, {}), false, "any of empty")
  check_eq(fun.index(2, fun.range(0)), nil, "index in empty")
  check_eq(firsts(fun.indexes("a", { "a", "b", "c", "d", "e", "a", "b", "a", "a" })), { 1, 6, 8, 9 }, "indexes")
  check_eq(elements(fun.zip(fun.partition(function(x) return x > 7 end, fun.range(1, 14)))),
    { { n = 2, 8, 1 }, { n = 2, 9, 2 }, { n = 2, 10, 3 }, { n = 2, 11, 4 }, { n = 2, 12, 5 }, { n = 2, 13, 6 },
      { n = 2, 14, 7 } }, "zip(partition(...))")
  check_eq(elements(fun.zip(fun.span(function(x) return x < 5 end, fun.range(8)))),
    { { n = 2, 1, 5 }, { n = 2, 2, 6 }, { n = 2, 3, 7 }, { n = 2, 4, 8 } }, "zip(span(pred, range))")
  -- zip and chain given a wrapped iterator as their last argument (which also passes its
  -- param and state) still see only that iterator
  check_eq(elements(fun.zip({ "a", "b" }, fun.range(3))), { { n = 2, "a", 1 }, { n = 2, "b", 2 } },
    "zip with a trailing iterator")
  check_eq(fun.totable(fun.chain({ 1 }, fun.range(2, 3))), { 1, 2, 3 }, "chain with a trailing iterator")
  check_eq(fun.totable(fun.chain()), {}, "chain()")
  check_eq(fun.totable(fun.zip()), {}, "zip()")
  check_eq(fun.totable(fun.take(5, fun.cycle({}))), {}, "cycle of empty is empty")
  check_eq(fun.totable(fun.take(15, fun.cycle(fun.chain(fun.enumerate({ "a" }), { "one" })))),
    { 1, "one", 1, "one", 1, "one", 1, "one", 1, "one", 1, "one", 1, "one", 1 }, "cycle(chain(...))")
  check_eq(fun.totable(fun.intersperse("x", {})), {}, "intersperse over empty")
  check_eq(fun.totable(fun.intersperse("x", { "a" })), { "a" }, "intersperse over one element")
  check_eq(elements(fun.intersperse(0, fun.enumerate({ "a", "b" }))), { { n = 2, 1, "a" }, { n = 1, 0 },
    { n = 2, 2, "b" } }, "intersperse keeps multiple values")
  check_eq(fun.totable(fun.take_n(0, fun.range(3))), {}, "take_n(0)")
  check_eq(fun.totable(fun.drop_n(5, fun.range(3))), {}, "drop_n past the end")
  check_eq(fun.totable(fun.take(3, fun.drop(2, fun.range(100)))), { 3, 4, 5 }, "take of drop")
  check_eq(fun.totable(fun.enumerate(fun.drop(1, { "a", "b", "c" }))), { 1, 2 }, "enumerate counts from 1 after drop")
  check_eq(elements(fun.enumerate(fun.tail({ "a", "b" }))), { { n = 2, 1, "b" } }, "enumerate(tail(array))")
  check_error("nth: n must be a positive integer", "nth(0)", fun.nth, 0, { 1 })
  check_error("take_n: n must be a non-negative number", "take_n(-1)", fun.take_n, -1, { 1 })
  check_error("map: f must be a function", "map(5, t)", fun.map, 5, { 1 })
  check_error("filter: pred must be a function", "filter(nil, t)", fun.filter, nil, { 1 })
  check_error("foldl: f must be a function", "foldl(nil)", fun.foldl, nil, 0, { 1 })
  -- a callable table is accepted where a function is
  local callable = setmetatable({}, { __call = function(_, v) return v * 2 end })
  check_eq(fun.totable(fun.map(callable, { 1, 2 })), { 2, 4 }, "map with a callable table")
end

-------------------------------------------------------------------------------
-- statelessness: the same triple, or the same iterator, iterated twice
-------------------------------------------------------------------------------

do
  local a = random_array(30)
  local p = random_pred()
  local its = {
    fun.map(random_fn(), a), fun.filter(function(v) return v % 2 == 0 end, fun.range(30)), fun.take(7, a),
    fun.take_while(function(v) return v < 10 end, fun.range(30)), fun.drop(4, a),
    fun.drop_while(function(v) return v < 10 end, fun.range(30)), fun.grep(p, fun.chain(a, fun.range(12))),
    fun.enumerate(a), fun.intersperse(0, a), fun.zip(a, fun.range(100)),
    fun.chain(a, a), fun.take(70, fun.cycle(a)), fun.indexes(a[3], a), fun.iter("some text"),
    fun.take(10, fun.tabulate(function(i) return i end)), (fun.range(3, 30, 4)),
  }
  for i, it in ipairs(its) do
    local first = elements(it)
    local second = elements(it.gen, it.param, it.state)
    check_eq(second, first, "iterator " .. i .. " gives the same sequence twice")
    assert(#first > 0, "iterator " .. i .. " is not empty")
    check_eq(elements(it), first, "iterator " .. i .. " a third time")
    -- consuming it with a reducing function does not change it either
    fun.length(it)
    check_eq(elements(it), first, "iterator " .. i .. " after length()")
  end
end

-------------------------------------------------------------------------------
-- aliases, methods and the operator table
-------------------------------------------------------------------------------

do
  local aliases = {
    { "each", "for_each", "foreach" }, { "duplicate", "xrepeat", "replicate" }, { "head", "car" },
    { "tail", "cdr" }, { "span", "split", "split_at" }, { "index", "index_of", "elem_index" },
    { "indexes", "indices", "elem_indexes", "elem_indices" }, { "filter", "remove_if" },
    { "foldl", "reduce" }, { "all", "every" }, { "any", "some" }, { "min", "minimum" },
    { "min_by", "minimum_by" }, { "max", "maximum" }, { "max_by", "maximum_by" },
    { "operator", "op" },
  }
  for _, group in ipairs(aliases) do
    for _, name in ipairs(group) do
      assert(fun[name] ~= nil, "fun." .. name .. " exists")
      assert(fun[name] == fun[group[1]], "fun." .. name .. " is an alias of fun." .. group[1])
    end
  end
  local exported = {
    "iter", "wrap", "from", "each", "range", "duplicate", "tabulate", "zeros", "ones", "rands", "nth", "head",
    "tail", "take_n", "take_while", "take", "drop_n", "drop_while", "drop", "span", "index", "indexes", "filter",
    "grep", "partition", "foldl", "length", "totable", "tomap", "is_prefix_of", "is_null", "all", "any", "sum",
    "product", "min", "max", "min_by", "max_by", "map", "enumerate", "intersperse", "zip", "cycle", "chain",
  }
  for _, name in ipairs(exported) do
    assert(type(fun[name]) == "function", "fun." .. name .. " is a function")
  end
  -- every function that takes an iterator is also a method
  local it = fun.iter({ 3, 1, 2 })
  local methods = {
    "each", "for_each", "foreach", "nth", "head", "car", "tail", "cdr", "take_n", "take_while", "take", "drop_n",
    "drop_while", "drop", "span", "split", "split_at", "index", "index_of", "elem_index", "indexes", "indices",
    "elem_indexes", "elem_indices", "filter", "remove_if", "grep", "partition", "foldl", "reduce", "length",
    "totable", "tomap", "is_prefix_of", "is_null", "all", "every", "any", "some", "sum", "product", "min",
    "minimum", "min_by", "minimum_by", "max", "maximum", "max_by", "maximum_by", "map", "enumerate", "intersperse",
    "zip", "cycle", "chain", "unwrap",
  }
  for _, name in ipairs(methods) do
    assert(type(it[name]) == "function", "iterator:" .. name .. " is a method")
  end
  check_eq(it:map(function(v) return v * 2 end):filter(function(v) return v > 2 end):totable(), { 6, 4 },
    "iter(t):map(f):filter(g):totable()")
  check_eq(it:reduce(add, 10), 16, "it:reduce")
  check_eq(it:nth(2), 1, "it:nth")
  check_eq(it:zip({ "a", "b" }):totable(), { 3, 1 }, "it:zip")
  check_eq(it:chain({ 9 }):totable(), { 3, 1, 2, 9 }, "it:chain")
  check_eq(it:is_prefix_of({ 3, 1, 2, 4 }), true, "it:is_prefix_of")
  check_eq(fun.range(4):take(2):totable(), { 1, 2 }, "range(4):take(2)")
  check_eq(fun.iter("abc"):enumerate():map(function(i, c) return c .. i end):totable(), { "a1", "b2", "c3" },
    "a chain over a string")

  local op = fun.operator
  local pairs_to_check = {
    { "lt", 1, 2, true }, { "le", 2, 2, true }, { "eq", 2, 3, false }, { "ne", 2, 3, true }, { "ge", 1, 2, false },
    { "gt", 3, 2, true }, { "add", 2, 3, 5 }, { "sub", 2, 3, -1 }, { "mul", 2, 3, 6 }, { "div", 10, 4, 2.5 },
    { "truediv", -10, 4, -2.5 }, { "floordiv", -10, 3, -4 }, { "intdiv", -10, 3, -3 }, { "intdiv", 10, 3, 3 },
    { "mod", -7, 3, 2 }, { "pow", 2, 10, 1024 }, { "neg", 4, nil, -4 }, { "neq", 4, nil, -4 },
    { "unm", -4, nil, 4 }, { "concat", "a", "b", "ab" }, { "len", "abc", nil, 3 }, { "length", { 1, 2 }, nil, 2 },
    { "land", 1, false, false }, { "lor", false, 2, 2 }, { "lnot", nil, nil, true }, { "truth", 0, nil, true },
  }
  for _, c in ipairs(pairs_to_check) do
    check_eq(op[c[1]](c[2], c[3]), c[4], "operator." .. c[1])
  end
  check_eq(fun.foldl(op.add, 0, fun.range(5)), 15, "foldl(operator.add)")
end

-------------------------------------------------------------------------------
-- Lua Fun compatibility (issue 15.10; cases from Lua Fun's own tests/stateful.lua, basic.lua)
-------------------------------------------------------------------------------

do
  -- a generator that keeps its own position, ignoring the state it is given
  local function stateful(values)
    local i = 1
    return fun.iter(function(_, vs)
      if i > #vs then
        return nil
      end
      local t = vs[i]
      i = i + 1
      if type(t) == "table" then
        return vs, unpack(t, 1, table.maxn(t))
      end
      return vs, t
    end, nil, values)
  end
  local function all(it)
    local out = {}
    it:each(function(...) out[#out + 1] = pack(...) end)
    return out
  end
  check_eq(stateful({ 1, 2, 3, 4, 5, 6, 5, 4, 3 }):drop_while(function(x) return x < 5 end):totable(),
    { 5, 6, 5, 4, 3 }, "drop_while keeps the first element of a stateful generator")
  check_eq(all(stateful({ { 1, nil, 10 }, { 5, nil, 50 }, { 3, nil, 20 } }):drop_while(function(x) return x < 5 end)),
    { pack(5, nil, 50), pack(3, nil, 20) }, "drop_while keeps every value of the first element")
  check_eq(stateful({ 1, 2, 3 }):drop_while(function(x) return x > 100 end):totable(), { 1, 2, 3 },
    "drop_while of nothing keeps all")
  check_eq(stateful({ 1, 2 }):drop(function() return true end):totable(), {}, "drop(pred) of all")
  local kept = fun.drop_while(function(x) return x < 3 end, { 1, 2, 3, 4 })
  check_eq(kept:totable(), { 3, 4 }, "drop_while result iterates")
  check_eq(kept:totable(), { 3, 4 }, "and iterates again from its start (stateless)")
  local t = { 1, 2, 3 }
  local gen1, param1, state1 = fun.iter(t):unwrap()
  local gen2, param2, state2 = ipairs(t)
  check_eq({ gen1 == gen2, param1 == param2, state1 == state2 }, { true, true, true },
    "iter(t):unwrap() is ipairs(t)")
  check_eq(fun.zip(fun.range(0), fun.range(0)):totable(), {}, "zip of empty ranges is empty")
  check_eq(fun.chain(fun.range(0), fun.range(1), fun.range(0)):totable(), { 1 }, "chain skips empty ranges")
end

-------------------------------------------------------------------------------
-- require("fun")() exports into globals (and only on that call)
-------------------------------------------------------------------------------

do
  assert(rawget(_G, "map") == nil and rawget(_G, "range") == nil, "loading fun creates no globals")
  rawset(_G, "head", "mine")
  local returned = fun()
  assert(returned == fun, "fun() returns the module")
  assert(rawget(_G, "map") == fun.map and rawget(_G, "each") == fun.each, "fun() exports functions")
  assert(rawget(_G, "operator") == fun.operator and rawget(_G, "op") == fun.operator, "fun() exports operator")
  assert(rawget(_G, "head") == "mine", "fun() leaves an existing global alone")
  fun(true)
  assert(rawget(_G, "head") == fun.head, "fun(true) overrides existing globals")
  for name in pairs(fun) do
    rawset(_G, name, nil)
  end
end

print("ok fun")
