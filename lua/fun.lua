-- fun: the Lua Fun API (https://luafun.github.io), written for tinn. This front file gathers
-- its parts (lua/fun/: core, generators, slicing, reduce, stages, compose) into one module and
-- gives iterator objects their methods; the parts hold the code and its notes.
--
--   local fun = require("fun")
--   print(fun.range(10):map(function(x) return x * x end):filter(function(x) return x % 2 == 0 end):sum())
--   require("fun")()   -- exports every function into globals, as Lua Fun does
--
-- Where this differs from Lua Fun, see docs/fun.md ("Differences from Lua Fun").

local select, setmetatable, rawget, rawset, pairs = select, setmetatable, rawget, rawset, pairs
local core = require("fun.core")
local methods, exports, wrap, unwrap = core.methods, core.exports, core.wrap, core.unwrap
local iter, from, each = core.iter, core.from, core.each
local generators = require("fun.generators")
local range, duplicate, tabulate, zeros = generators.range, generators.duplicate, generators.tabulate, generators.zeros
local ones, rands = generators.ones, generators.rands
local slicing = require("fun.slicing")
local nth, head, tail, take_n = slicing.nth, slicing.head, slicing.tail, slicing.take_n
local take_while, take, drop_n, drop_while = slicing.take_while, slicing.take, slicing.drop_n, slicing.drop_while
local drop, span, index, indexes = slicing.drop, slicing.span, slicing.index, slicing.indexes
local reduce = require("fun.reduce")
local foldl, length, totable, tomap = reduce.foldl, reduce.length, reduce.totable, reduce.tomap
local is_prefix_of, is_null, all, any = reduce.is_prefix_of, reduce.is_null, reduce.all, reduce.any
local sum, product, min, max = reduce.sum, reduce.product, reduce.min, reduce.max
local min_by, max_by = reduce.min_by, reduce.max_by
local stages = require("fun.stages")
local filter, grep, partition, map = stages.filter, stages.grep, stages.partition, stages.map
local enumerate, intersperse = stages.enumerate, stages.intersperse
local compose = require("fun.compose")
local zip, cycle, chain, operator = compose.zip, compose.cycle, compose.chain, compose.operator
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
