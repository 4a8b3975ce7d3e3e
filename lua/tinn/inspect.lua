-- tinn.inspect: a value as readable Lua-like text, for the REPL, test failures and debugging.
--
--   local inspect = require("tinn.inspect")
--   print(inspect({ 1, 2, name = "x", nested = { true } }))
--   --> { 1, 2, name = "x", nested = { true } }
--
-- Tables print their array part first, then the other keys sorted; a table that does not fit
-- on one line is spread over several, indented. A table met again inside itself prints as
-- `<cycle>`; deeper than `depth` as `{...}`. Tables with a `__tostring` metamethod print as
-- tostring gives them. Strings are quoted with escapes, functions show where they were defined.

local type, tostring, pairs, next, pcall, select = type, tostring, pairs, next, pcall, select
local format, rep, concat, sort = string.format, string.rep, table.concat, table.sort
local getmetatable, getinfo, floor, huge = getmetatable, debug.getinfo, math.floor, math.huge

-- Defaults: Node's util.inspect stops at depth 2; Lua data is often deeper and smaller.
local DEFAULT_DEPTH = 6
local DEFAULT_MAX_ITEMS = 100
local DEFAULT_WIDTH = 80

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORDS[word] = true end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or format("\\%d", c:byte())
  end) .. '"'
end

local function number(n)
  if n ~= n then return "nan" end
  if n == huge then return "math.huge" end
  if n == -huge then return "-math.huge" end
  if n == floor(n) and n > -1e15 and n < 1e15 then return format("%d", n) end
  return format("%.17g", n)
end

local function describeFunction(fn)
  local info = getinfo(fn, "S")
  if not info or info.what == "C" then return "<function: builtin>" end
  return format("<function %s:%d>", info.short_src, info.linedefined)
end

local TYPE_ORDER = { number = 1, string = 2, boolean = 3 }

local function keyLess(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return (TYPE_ORDER[ta] or 9) < (TYPE_ORDER[tb] or 9) or
    ((TYPE_ORDER[ta] or 9) == (TYPE_ORDER[tb] or 9) and ta < tb) end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return (not a) and b end
  return tostring(a) < tostring(b)
end

local render

local function renderKey(key, opts, level, visiting)
  if type(key) == "string" and key:find("^[%a_][%w_]*$") and not KEYWORDS[key] then
    return key
  end
  return "[" .. render(key, opts, level + 1, visiting) .. "]"
end

-- pairs honours __pairs (Collections.Bag shows its entries); a broken __pairs falls back to next.
local function entries(t)
  local ok, gen, param, state = pcall(pairs, t)
  if ok and type(gen) == "function" then return gen, param, state end
  return next, t, nil
end

local function renderTable(t, opts, level, visiting)
  local mt = getmetatable(t)
  if type(mt) == "table" and mt.__tostring then
    local ok, s = pcall(tostring, t)
    if ok then return s end
  end
  if visiting[t] then return "<cycle>" end
  if level >= opts.depth then return next(t) == nil and "{}" or "{...}" end
  visiting[t] = true

  local items, n = {}, 0
  local shown, skipped = 0, 0
  local arrayLength = 0
  while t[arrayLength + 1] ~= nil do arrayLength = arrayLength + 1 end
  for i = 1, arrayLength do
    if shown < opts.maxItems then
      shown = shown + 1
      n = n + 1
      items[n] = render(t[i], opts, level + 1, visiting)
    else
      skipped = skipped + 1
    end
  end
  local keys, valueOf, k = {}, {}, 0
  for key, value in entries(t) do
    if not (type(key) == "number" and key >= 1 and key <= arrayLength and key == floor(key)) then
      k = k + 1
      keys[k] = key
      valueOf[key] = value
    end
  end
  sort(keys, keyLess)
  for i = 1, k do
    local key = keys[i]
    if shown < opts.maxItems then
      shown = shown + 1
      n = n + 1
      items[n] = renderKey(key, opts, level, visiting) .. " = " .. render(valueOf[key], opts, level + 1, visiting)
    else
      skipped = skipped + 1
    end
  end
  if skipped > 0 then
    n = n + 1
    items[n] = format("... (%d more)", skipped)
  end
  visiting[t] = nil

  if n == 0 then return "{}" end
  local oneLine = "{ " .. concat(items, ", ") .. " }"
  if #oneLine + level * 2 <= opts.width and not oneLine:find("\n", 1, true) then return oneLine end
  local pad = rep("  ", level + 1)
  return "{\n" .. pad .. concat(items, ",\n" .. pad) .. "\n" .. rep("  ", level) .. "}"
end

render = function(value, opts, level, visiting)
  local kind = type(value)
  if kind == "string" then return quote(value) end
  if kind == "number" then return number(value) end
  if kind == "table" then return renderTable(value, opts, level, visiting) end
  if kind == "function" then return describeFunction(value) end
  return tostring(value)
end

--- inspect(value [, opts]) -> string.   inspect({1, a = "x"}) == '{ 1, a = "x" }'
--- opts: depth (default 6), maxItems per table (default 100), width of one line (default 80).
local function inspect(value, opts)
  local o = { depth = DEFAULT_DEPTH, maxItems = DEFAULT_MAX_ITEMS, width = DEFAULT_WIDTH }
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("bad argument #2 to 'inspect' (table expected, got " .. type(opts) .. ")", 2)
    end
    for _, name in ipairs({ "depth", "maxItems", "width" }) do
      local v = opts[name]
      if v ~= nil then
        if type(v) ~= "number" or v < 0 then
          error(format("bad argument #2 to 'inspect' (%s must be a non-negative number, got %s)",
            name, tostring(v)), 2)
        end
        o[name] = v
      end
    end
  end
  return render(value, o, 0, {})
end

--- inspect.values(...) -> string: every argument inspected, separated by tabs (as print does).
local function values(...)
  local parts, n = {}, select("#", ...)
  for i = 1, n do parts[i] = inspect((select(i, ...))) end
  return concat(parts, "\t")
end

return setmetatable({ inspect = inspect, values = values }, {
  __call = function(_, value, opts) return inspect(value, opts) end,
})
