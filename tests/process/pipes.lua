-- spawn with pipes: lines, exact counts, "a", large data both ways, stderr, env, cwd.
-- (the same read semantics as tinn.net streams: docs/net.md)
local process = require("tinn.process")

local cat = assert(process.spawn{ cmd = "cat", stdin = "pipe", stdout = "pipe" })
assert(type(cat.pid) == "number" and cat.pid > 0, "pid is a positive number")
assert(cat.stdin:write("one\ntwo\r\nthree") == 14, "write returns the byte count")
print("line", cat.stdout:read("l"))
print("line keep", (cat.stdout:read("L"):gsub("\r\n", "<crlf>")))
print("partial line waits", cat.stdout:read("l", 50))
cat.stdin:close()
print("last line at eof", cat.stdout:read("l"))
print("end of stream", cat.stdout:read("l"))
print("read all after end", cat.stdout:read("a") == "")
print("exit", cat:wait())

-- 4 MB through cat while another task writes it: neither side blocks the other
local big = string.rep("0123456789abcdef", 4 * 65536)
local copy = assert(process.spawn{ cmd = "cat", stdin = "pipe", stdout = "pipe" })
spawn(function()
  assert(copy.stdin:write(big) == #big, "big write")
  copy.stdin:close()
end)
local got = copy.stdout:read("a")
print("4 MB round trip", #got, got == big)
print("exit", copy:wait())

-- exact reads and lines()
local seq = assert(process.spawn{ cmd = "sh", args = { "-c", "printf 'abcdef'; printf 'x\\ny\\nz\\n'" }, stdout = "pipe" })
print("exactly", seq.stdout:readExactly(4), seq.stdout:read(2))
local lines = {}
for line in seq.stdout:lines() do lines[#lines + 1] = line end
print("lines", table.concat(lines, ","))
print("exit", seq:wait())

-- stderr, env, cwd
local env = assert(process.spawn{
  cmd = "sh", args = { "-c", "echo \"$TINN_A-$TINN_B-${HOME:-nohome}\"; pwd; echo oops >&2; exit 7" },
  env = { TINN_A = "alpha", TINN_B = 2, HOME = false }, cwd = "/tmp", stdout = "pipe", stderr = "pipe",
})
print("env", env.stdout:read("l"))
print("cwd", env.stdout:read("l"))
print("stderr", env.stderr:read("a"))
print("exit", env:wait())
print("wait again", env:wait())
