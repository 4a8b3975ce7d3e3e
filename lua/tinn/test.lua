-- tinn.test: the test framework behind `tinn test` (docs/test.md).
--
--   -- math_test.lua, run with `tinn test`
--   describe("math", function()
--     test("adds", function() expect(1 + 1):toBe(2) end)
--     test("waits", function() sleep(10) expect({ 1, { 2 } }):toEqual({ 1, { 2 } }) end)
--   end)
--
-- Every test runs as a task of its own, so it may sleep, use sockets and spawn tasks; it fails
-- when it raises (a failed expectation raises), when a task it spawned raises, when it outlives
-- its timeout (default 5000 ms), or when it leaves tasks running. One failure never stops the
-- other tests. `tinn test` installs `test`, `it`, `describe`, `expect`, `beforeEach` and
-- `afterEach` as globals; a plain script can use the same functions from `require("tinn.test")`
-- and call `run()`.

local inspect = require("tinn.inspect").inspect
local reactor = require("tinn.reactor")
local now = require("tinn.clock").now

local userTraceback = reactor.traceback
local type, tostring, select, pairs, next, rawget, pcall, xpcall, error, setmetatable, getmetatable =
  type, tostring, select, pairs, next, rawget, pcall, xpcall, error, setmetatable, getmetatable
local format, concat, floor, getinfo = string.format, table.concat, math.floor, debug.getinfo

local DEFAULT_TIMEOUT_MS = 5000
-- After a test's function returns, tasks it started get this long to finish (a server closed at
-- the end of a test needs a turn of the event loop to see it) before they count as left running.
local SETTLE_MS = 200

local defaultTimeout = DEFAULT_TIMEOUT_MS

---------------------------------------------------------------------------------------------------
-- Registration
---------------------------------------------------------------------------------------------------

local root = { name = nil, before = {}, after = {} }
local suites = { root }       -- the describe blocks being defined, outermost first
local pending = {}            -- tests defined and not run yet, in order
local runningTest = nil       -- the test whose function is running
local counts = { passed = 0, failed = 0, finished = false }

local function argError(n, fname, msg)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3)
end

local function checkCallable(fn, n, fname)
  if type(fn) ~= "function" then
    local mt = getmetatable(fn)
    if not (type(mt) == "table" and mt.__call) then argError(n, fname, "function expected, got " .. type(fn)) end
  end
end

local function checkDefining(fname)
  if runningTest then
    error(format("%s: cannot define tests while a test runs (define them at the top level or in describe)", fname), 3)
  end
end

local function fullName(name)
  local parts = {}
  for i = 2, #suites do parts[#parts + 1] = suites[i].name end
  parts[#parts + 1] = name
  return concat(parts, " > ")
end

local function where(level)
  local info = getinfo(level + 1, "Sl")
  if not info then return "?" end
  return format("%s:%d", info.short_src, info.currentline)
end

--- test(name, fn [, timeoutMs | {timeout = ms}]) defines a test. Alias: it.
local function test(name, fn, opts)
  checkDefining("test")
  if type(name) ~= "string" then argError(1, "test", "name must be a string, got " .. type(name)) end
  checkCallable(fn, 2, "test")
  local timeout = defaultTimeout
  if type(opts) == "number" then
    timeout = opts
  elseif type(opts) == "table" and opts.timeout ~= nil then
    timeout = opts.timeout
  elseif opts ~= nil and type(opts) ~= "table" then
    argError(3, "test", "timeout (ms) or options table expected, got " .. type(opts))
  end
  if type(timeout) ~= "number" or timeout ~= timeout or timeout < 0 then
    argError(3, "test", "timeout must be a non-negative number of milliseconds, got " .. tostring(timeout))
  end
  local chain = {}
  for i = 1, #suites do chain[i] = suites[i] end
  pending[#pending + 1] = { name = fullName(name), fn = fn, timeout = timeout, suites = chain, where = where(2) }
end

--- describe(name, fn) groups the tests `fn` defines; their names read "name > test".
local function describe(name, fn)
  checkDefining("describe")
  if type(name) ~= "string" then argError(1, "describe", "name must be a string, got " .. type(name)) end
  checkCallable(fn, 2, "describe")
  local suite = { name = name, before = {}, after = {} }
  suites[#suites + 1] = suite
  local ok, err = pcall(fn)
  suites[#suites] = nil
  if not ok then error(err, 0) end
end

--- beforeEach(fn) runs `fn` before each test of the enclosing describe (or file), in the test's task.
local function beforeEach(fn)
  checkDefining("beforeEach")
  checkCallable(fn, 1, "beforeEach")
  local list = suites[#suites].before
  list[#list + 1] = fn
end

--- afterEach(fn) runs `fn` after each test of the enclosing describe (or file), even a failed one.
local function afterEach(fn)
  checkDefining("afterEach")
  checkCallable(fn, 1, "afterEach")
  local list = suites[#suites].after
  list[#list + 1] = fn
end

---------------------------------------------------------------------------------------------------
-- Expectations
---------------------------------------------------------------------------------------------------

-- A failed expectation: raised as this table so the report shows its text without a traceback.
local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(f) return f.where .. ": " .. f.message end

-- The first frame outside this file: the test line that made the expectation.
local function callerLocation()
  for level = 3, 30 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.currentline and info.currentline > 0 and not info.source:find("^=tinn/") then
      return format("%s:%d", info.short_src, info.currentline)
    end
  end
  return "?"
end

local Expectation = {}
Expectation.__index = Expectation

--- expect(value) -> an expectation: expect(x):toBe(y), expect(x).never:toBe(y).
local function expect(...)
  if select("#", ...) == 0 then error("expect: a value to check is required (expect(nil) checks nil)", 2) end
  local value = ...
  local e = setmetatable({ value = value, negated = false }, Expectation)
  e.never = setmetatable({ value = value, negated = true }, Expectation)
  return e
end

local function show(v)
  return inspect(v, { width = 100 })
end

-- Raises a Failure unless `pass` (flipped by .never). `lines` explain; `matcher` names the call.
local function verdict(self, pass, matcher, lines)
  if self.negated then pass = not pass end
  if pass then return end
  local head = format("expect(received)%s:%s", self.negated and ".never" or "", matcher)
  local text = head
  if lines and #lines > 0 then text = head .. "\n  " .. concat(lines, "\n  ") end
  error(setmetatable({ message = text, where = callerLocation() }, Failure), 0)
end

local function expectedReceived(self, expected, received)
  return {
    format("expected: %s%s", self.negated and "not " or "", expected),
    format("received: %s", received),
  }
end

function Expectation:toBe(expected)
  verdict(self, self.value == expected, "toBe(expected)", expectedReceived(self, show(expected), show(self.value)))
end

local function keyPath(key)
  if type(key) == "string" and key:find("^[%a_][%w_]*$") then return "." .. key end
  return "[" .. show(key) .. "]"
end

-- The path of the first difference between a and b and the values there, or nil when they are
-- deeply equal (NaN equals NaN; metatables are not compared).
local function difference(a, b, path, seen)
  if a == b then return nil end
  if type(a) == "number" and type(b) == "number" and a ~= a and b ~= b then return nil end
  if type(a) ~= "table" or type(b) ~= "table" then return path, a, b end
  local pairsSeen = seen[a]
  if pairsSeen and pairsSeen[b] then return nil end
  if not pairsSeen then pairsSeen = {}; seen[a] = pairsSeen end
  pairsSeen[b] = true
  for key, value in next, a do
    local d, x, y = difference(value, rawget(b, key), path .. keyPath(key), seen)
    if d then return d, x, y end
  end
  for key, value in next, b do
    if rawget(a, key) == nil then return path .. keyPath(key), nil, value end
  end
  return nil
end

function Expectation:toEqual(expected)
  local path, e, r = difference(expected, self.value, "", {})
  local lines = expectedReceived(self, show(expected), show(self.value))
  if path and path ~= "" then
    lines[#lines + 1] = format("first difference at %s: expected %s, received %s", path, show(e), show(r))
  end
  verdict(self, path == nil, "toEqual(expected)", lines)
end

function Expectation:toBeNil()
  verdict(self, self.value == nil, "toBeNil()", { "received: " .. show(self.value) })
end

function Expectation:toBeTruthy()
  verdict(self, not not self.value, "toBeTruthy()", { "received: " .. show(self.value) })
end

function Expectation:toBeFalsy()
  verdict(self, not self.value, "toBeFalsy()", { "received: " .. show(self.value) })
end

function Expectation:toBeType(typeName)
  if type(typeName) ~= "string" then argError(1, "toBeType", "type name expected, got " .. type(typeName)) end
  verdict(self, type(self.value) == typeName, format("toBeType(%q)", typeName),
    { format("received: %s (a %s)", show(self.value), type(self.value)) })
end

local function matches(s, pattern)
  if s:find(pattern, 1, true) then return true end
  local ok, found = pcall(string.find, s, pattern)
  return ok and found ~= nil
end

function Expectation:toMatch(pattern)
  if type(pattern) ~= "string" then argError(1, "toMatch", "pattern expected, got " .. type(pattern)) end
  local value = self.value
  verdict(self, type(value) == "string" and matches(value, pattern), format("toMatch(%s)", show(pattern)),
    { "received: " .. show(value) })
end

function Expectation:toContain(item)
  local value, found = self.value, false
  if type(value) == "string" and type(item) == "string" then
    found = value:find(item, 1, true) ~= nil
  elseif type(value) == "table" then
    for _, v in pairs(value) do
      if v == item then found = true break end
    end
  end
  verdict(self, found, "toContain(item)", { "item: " .. show(item), "received: " .. show(value) })
end

function Expectation:toHaveLength(n)
  local value = self.value
  local ok, length = pcall(function() return #value end)
  verdict(self, ok and length == n, format("toHaveLength(%s)", show(n)),
    { format("received: %s (length %s)", show(value), ok and tostring(length) or "none") })
end

local function compare(self, name, op, bound, holds)
  local value = self.value
  local ok, pass = pcall(holds, value, bound)
  verdict(self, ok and pass, format("%s(%s)", name, show(bound)),
    { format("expected: %s%s %s", self.negated and "not " or "", op, show(bound)), "received: " .. show(value) })
end

function Expectation:toBeGreaterThan(n) compare(self, "toBeGreaterThan", ">", n, function(a, b) return a > b end) end
function Expectation:toBeGreaterThanOrEqual(n) compare(self, "toBeGreaterThanOrEqual", ">=", n, function(a, b) return a >= b end) end
function Expectation:toBeLessThan(n) compare(self, "toBeLessThan", "<", n, function(a, b) return a < b end) end
function Expectation:toBeLessThanOrEqual(n) compare(self, "toBeLessThanOrEqual", "<=", n, function(a, b) return a <= b end) end

function Expectation:toBeCloseTo(n, tolerance)
  tolerance = tolerance or 1e-9
  local value = self.value
  verdict(self, type(value) == "number" and type(n) == "number" and math.abs(value - n) <= tolerance,
    format("toBeCloseTo(%s, %s)", show(n), show(tolerance)), { "received: " .. show(value) })
end

--- expect(fn):toError([pattern]) calls fn (it may suspend); passes when it raises an error whose
--- text contains `pattern` (plain text, or a Lua pattern). Returns the error.
function Expectation:toError(pattern)
  local fn = self.value
  checkCallable(fn, 0, "expect(fn):toError")
  if pattern ~= nil and type(pattern) ~= "string" then argError(1, "toError", "pattern expected, got " .. type(pattern)) end
  local ok, err = pcall(fn)
  local text = not ok and tostring(err) or nil
  local pass = not ok and (pattern == nil or matches(text, pattern))
  local lines = { ok and "the function returned without raising an error" or ("raised: " .. text) }
  verdict(self, pass, pattern and format("toError(%s)", show(pattern)) or "toError()", lines)
  return err
end

---------------------------------------------------------------------------------------------------
-- Running
---------------------------------------------------------------------------------------------------

local function out(s)
  io.stdout:write(s)
  io.stdout:flush()
end

local function describeError(err)
  if getmetatable(err) == Failure then return tostring(err) end
  return userTraceback(tostring(err), 2)
end

local function liveIds()
  local ids = {}
  for _, record in ipairs(tinn.tasks()) do ids[record.id] = true end
  return ids
end

local function strays(before, except)
  local list = {}
  for _, record in ipairs(tinn.tasks()) do
    if not before[record.id] and record.task ~= except then list[#list + 1] = record end
  end
  return list
end

-- Runs `fn` in a task with `timeout`, reporting errors of every task it starts; returns the list
-- of problems (strings), empty when all went well.
local function supervise(fn, timeout, label)
  local problems = {}
  local me = tinn.currentTask()
  local before = liveIds()
  local outer = onError(function(err, task)
    local trace = getmetatable(err) ~= Failure and rawget(task, "trace") or nil
    problems[#problems + 1] = format("error in task %d (%s): %s%s", task:id(), task:name(), tostring(err),
      trace and ("\n" .. trace) or "")
  end)
  local task = spawn(fn)
  task:name(label)
  local result, err = task:join(timeout)
  runningTest = nil -- also when the test timed out inside its function
  if result == nil then
    if err == "timeout" then
      task:cancel()
      problems[#problems + 1] = format("timed out after %d ms (give more with test(name, fn, {timeout = ms}) or --timeout)",
        timeout)
    else
      problems[#problems + 1] = "the test's task ended early: " .. tostring(err)
    end
  else
    for i = 1, #result do problems[#problems + 1] = result[i] end
  end
  if #strays(before, me) > 0 then
    waitFor(function() return #strays(before, me) == 0 end, SETTLE_MS)
    local left = strays(before, me)
    if #left > 0 then
      local names = {}
      for i, record in ipairs(left) do
        local on = record.waitingOn
        names[i] = format("task %d (%s, %s%s)", record.id, record.name, record.status,
          (on and on ~= "sleep") and (" on " .. on) or "")
        record.task:cancel()
      end
      problems[#problems + 1] = "left running after the test ended (join or cancel them): " .. concat(names, ", ")
    end
  end
  onError(outer)
  return problems
end

local function testBody(t)
  local problems = {}
  local function protect(fn)
    local ok, err = xpcall(fn, describeError)
    if not ok then problems[#problems + 1] = err end
    return ok
  end
  local ok = true
  for i = 1, #t.suites do
    local hooks = t.suites[i].before
    for j = 1, #hooks do
      if ok then ok = protect(hooks[j]) end
    end
  end
  if ok then
    runningTest = t
    protect(t.fn)
    runningTest = nil
  end
  for i = #t.suites, 1, -1 do
    local hooks = t.suites[i].after
    for j = 1, #hooks do protect(hooks[j]) end
  end
  return problems
end

local function indent(text, pad)
  return pad .. tostring(text):gsub("\n", "\n" .. pad)
end

-- The file being run by runFile; its name heads the first result printed for it.
local heading = nil

local function report(name, problems, started)
  local ms = floor(now() - started + 0.5)
  if heading then
    out(heading .. "\n")
    heading = nil
  end
  if #problems == 0 then
    counts.passed = counts.passed + 1
    out(format("  ok    %s (%d ms)\n", name, ms))
  else
    counts.failed = counts.failed + 1
    out(format("  FAIL  %s (%d ms)\n", name, ms))
    for i = 1, #problems do out(indent(problems[i], "        ") .. "\n") end
  end
end

local function selected(name, filter)
  return filter == nil or filter == "" or matches(name, filter)
end

-- Runs every test defined and not yet run; returns how many passed and failed in this call.
local function runPending(filter)
  local passed, failed = counts.passed, counts.failed
  local list = pending
  pending = {}
  for i = 1, #list do
    local t = list[i]
    if selected(t.name, filter) then
      local started = now()
      local problems = supervise(function() return testBody(t) end, t.timeout, "test: " .. t.name)
      report(t.name, problems, started)
    end
  end
  return counts.passed - passed, counts.failed - failed
end

--- run([filter]) runs the tests defined so far (in a plain script), prints each result and the
--- line `N passed, N failed`, and returns the two counts.
local function run(filter)
  if filter ~= nil and type(filter) ~= "string" then argError(1, "run", "filter must be a string, got " .. type(filter)) end
  local passed, failed = runPending(filter)
  out(format("%d passed, %d failed\n", passed, failed))
  return passed, failed
end

-- What `tinn test` makes global in a test file.
local GLOBALS = {
  test = test, it = test, describe = describe, expect = expect,
  beforeEach = beforeEach, afterEach = afterEach,
}

local exports = {}
for name, fn in pairs(GLOBALS) do exports[name] = fn end

--- runFile(path, filter, timeoutMs): `tinn test`'s entry for one file (called by the CLI).
local function runFile(path, filter, timeout)
  if filter == "" then filter = nil end
  if timeout and timeout ~= "" then defaultTimeout = tonumber(timeout) or DEFAULT_TIMEOUT_MS end
  -- with a filter, a file none of whose tests is selected prints nothing at all
  heading = path
  if not filter then out(path .. "\n"); heading = nil end
  for name, fn in pairs(GLOBALS) do _G[name] = fn end
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. package.path end
  _G.arg = { [0] = path }

  local chunk, err = loadfile(path)
  local started = now()
  if not chunk then
    report(path, { tostring(err) }, started)
  else
    -- The file's top level runs like a test: it may suspend, and its errors are reported.
    local problems = supervise(function()
      local ok, loadErr = xpcall(chunk, describeError)
      return ok and {} or { loadErr }
    end, defaultTimeout, "load: " .. path)
    if #problems > 0 then
      pending = {}
      report(path .. " (top level)", problems, started)
    elseif #pending == 0 then
      -- A plain script with no tests passes when it runs to the end without an error.
      if selected(path, filter) then report(path .. " (script without tests)", problems, started) end
    else
      runPending(filter)
    end
  end
  counts.finished = true
  -- Ends the file's program even if it started workers that would keep it running; they are
  -- sent QUIT, and the CLI waits for them before the next file.
  stop(0)
end

--- results() -> passed, failed, finished: the counts so far (read by the CLI after a file).
local function results()
  return counts.passed, counts.failed, counts.finished
end

exports.run = run
exports.runFile = runFile
exports.results = results
return exports
