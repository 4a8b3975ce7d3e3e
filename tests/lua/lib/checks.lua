-- Assertions shared by the tests in tests/lua: require("lib.checks").
local checks = {}

-- raises unless fn(...) raises an error whose message contains `pattern` (plain text)
function checks.error(pattern, what, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, what .. ": expected an error")
  assert(tostring(err):find(pattern, 1, true),
    string.format("%s: error %q does not mention %q", what, tostring(err), pattern))
end

return checks
