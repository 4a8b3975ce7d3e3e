---@meta
-- Type definitions for the test framework (lua/tinn/test.lua, docs/test.md). `tinn test` makes
-- test, it, describe, expect, beforeEach and afterEach globals in every test file; a plain
-- script gets the same functions from require("tinn.test").

---@class tinn.test.Options
---@field timeout? number milliseconds before the test fails as timed out (default 5000, or `tinn test --timeout`)

---Defines a test. It runs later as a task of its own, so it may sleep, use sockets and spawn
---tasks. It fails when it raises (a failed expectation raises), when a task it spawned raises,
---when it outlives its timeout, or when tasks it started are still running 200 ms after it ends.
---Errors: raises on a non-string name, a non-callable fn, a bad timeout, or inside a running test.
---@param name string
---@param fn async fun()
---@param opts? number|tinn.test.Options a timeout in milliseconds, or options
function test(name, fn, opts) end

---Alias of test.
---@param name string
---@param fn async fun()
---@param opts? number|tinn.test.Options
function it(name, fn, opts) end

---Groups tests: `fn` runs at once and the tests it defines are named "name > test".
---Errors: raises on a non-string name or a non-callable fn, or inside a running test.
---@param name string
---@param fn fun()
function describe(name, fn) end

---Runs `fn` before each test of the enclosing describe (or file), in the test's task; a hook
---that fails fails the test, which then does not run.
---@param fn async fun()
function beforeEach(fn) end

---Runs `fn` after each test of the enclosing describe (or file), also after a failed one.
---@param fn async fun()
function afterEach(fn) end

---@class Expectation
---@field never Expectation the same checks, negated: `expect(x).never:toBe(y)`
local Expectation = {}

---Passes when `value == expected`.
---@param expected any
function Expectation:toBe(expected) end

---Passes when the values are deeply equal: same keys, deeply equal values (NaN equals NaN,
---cycles are handled, metatables are ignored). A failure names the first differing key path.
---@param expected any
function Expectation:toEqual(expected) end

function Expectation:toBeNil() end

function Expectation:toBeTruthy() end

function Expectation:toBeFalsy() end

---Passes when `type(value) == typeName`.
---@param typeName type
function Expectation:toBeType(typeName) end

---Passes when the value is a string containing `pattern` as plain text or matching it as a Lua pattern.
---@param pattern string
function Expectation:toMatch(pattern) end

---Passes when a string contains `item` (plain text) or a table has `item` among its values.
---@param item any
function Expectation:toContain(item) end

---Passes when `#value == n`.
---@param n integer
function Expectation:toHaveLength(n) end

---@param n number
function Expectation:toBeGreaterThan(n) end

---@param n number
function Expectation:toBeGreaterThanOrEqual(n) end

---@param n number
function Expectation:toBeLessThan(n) end

---@param n number
function Expectation:toBeLessThanOrEqual(n) end

---Passes when `|value - n| <= tolerance`.
---@param n number
---@param tolerance? number default 1e-9
function Expectation:toBeCloseTo(n, tolerance) end

---Calls the value (a function; it may suspend) and passes when it raises an error whose text
---contains `pattern` as plain text or matches it as a Lua pattern (any error without one).
---Errors: raises if the value is not callable.
---@param pattern? string
---@return any err the error the function raised
function Expectation:toError(pattern) end

---Starts checking `value`; a failed check raises, failing the test, and the report shows the
---check, the values and the file:line of the expect call.
---@param value any
---@return Expectation
function expect(value) end

---The module `require("tinn.test")`: the same functions, plus `run` for plain scripts.
---@class tinn.test
local testModule = {}

testModule.test = test
testModule.it = it
testModule.describe = describe
testModule.expect = expect
testModule.beforeEach = beforeEach
testModule.afterEach = afterEach

---Runs the tests defined so far, prints each result and the line `N passed, N failed`.
---For scripts run with plain `tinn`; `tinn test` runs files itself.
---@async
---@param filter? string run only tests whose full name contains it or matches it as a Lua pattern
---@return integer passed
---@return integer failed
function testModule.run(filter) end

---`tinn test`'s entry for one file (used by the command line).
---@async
---@param path string
---@param filter? string
---@param timeoutMs? string
function testModule.runFile(path, filter, timeoutMs) end

---The counts so far and whether runFile finished (used by the command line).
---@return integer passed
---@return integer failed
---@return boolean finished
function testModule.results() end

return testModule
