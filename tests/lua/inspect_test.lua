-- inspect_test: tinn.inspect, the printer behind the REPL and test failures (docs/inspect.md).
-- Run with `tinn test lua/inspect_test.lua`.
local inspect = require("tinn.inspect")

describe("scalars", function()
  test("numbers, booleans, nil", function()
    expect(inspect(42)):toBe("42")
    expect(inspect(-0.5)):toBe("-0.5")
    expect(inspect(1 / 0)):toBe("math.huge")
    expect(inspect(0 / 0)):toBe("nan")
    expect(inspect(true)):toBe("true")
    expect(inspect(nil)):toBe("nil")
  end)

  test("strings are quoted with escapes", function()
    expect(inspect("hi")):toBe('"hi"')
    expect(inspect('say "x"\n\t\\')):toBe('"say \\"x\\"\\n\\t\\\\"')
    expect(inspect("\0\127")):toBe('"\\0\\127"')
  end)

  test("functions show where they were defined", function()
    expect(inspect(function() end)):toMatch("^<function .-inspect_test%.lua:%d+>$")
    expect(inspect(print)):toBe("<function: builtin>")
  end)
end)

describe("tables", function()
  test("array part first, then sorted keys", function()
    expect(inspect({ 1, 2, b = 2, a = 1, [10] = "x", ["not id"] = true, [true] = 0 }))
      :toBe('{ 1, 2, [10] = "x", a = 1, b = 2, ["not id"] = true, [true] = 0 }')
    expect(inspect({})):toBe("{}")
    expect(inspect({ ["end"] = 1 })):toBe('{ ["end"] = 1 }')
  end)

  test("cycles print as <cycle>, shared tables in full", function()
    local t = { name = "loop" }
    t.self = t
    expect(inspect(t)):toBe('{ name = "loop", self = <cycle> }')
    local shared = { 1 }
    expect(inspect({ shared, shared })):toBe("{ { 1 }, { 1 } }")
  end)

  test("long tables spread over lines, indented", function()
    local long = {}
    for i = 1, 30 do long[i] = i * 1000 end
    local text = inspect({ list = long })
    expect(text):toMatch("^{\n  list = {\n    1000,\n    2000,")
    expect(text):toMatch("\n  }\n}$")
  end)

  test("depth and item limits", function()
    expect(inspect({ { { {} } } }, { depth = 2 })):toBe("{ { {...} } }")
    expect(inspect({ 1, 2, 3, 4 }, { maxItems = 2 })):toBe("{ 1, 2, ... (2 more) }")
  end)

  test("__tostring wins; __pairs decides the entries", function()
    local obj = setmetatable({}, { __tostring = function() return "Thing(1)" end })
    expect(inspect({ obj })):toBe("{ Thing(1) }")
    local bag = require("Collections").Bag()
    bag.k = "v"
    expect(inspect(bag)):toBe(tostring(bag))
    local proxy = setmetatable({}, { __pairs = function() return next, { shown = 1 }, nil end })
    expect(inspect(proxy)):toBe("{ shown = 1 }")
  end)

  test("a task prints as a task", function()
    local task = spawn(function() end)
    task:join()
    expect(inspect(task)):toMatch("^Task%(%d+, .*, done%)$")
  end)
end)

test("values() separates with tabs; bad options raise", function()
  expect(inspect.values(1, "a", nil)):toBe('1\t"a"\tnil')
  expect(function() inspect(1, "deep") end):toError("table expected, got string")
  expect(function() inspect(1, { depth = -1 }) end):toError("depth must be a non%-negative number")
end)
