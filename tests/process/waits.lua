-- wait/kill/timeouts suspend only the calling task; exec collects output and status.
local process = require("tinn.process")

-- the child exits only once the other task has ticked 5 times and told it to
local ticks = 0
local slow = assert(process.spawn{ cmd = "sh", args = { "-c", "read line; exit 4" }, stdin = "pipe" })
spawn(function()
  for _ = 1, 5 do sleep(20) ticks = ticks + 1 end
  slow.stdin:write("go\n")
end)
print("other task ran while waiting", slow:wait() == 4, ticks == 5)

local sleeper = assert(process.spawn{ cmd = "sleep", args = { "10" } })
print("wait timeout", sleeper:wait(30))
print("kill", sleeper:kill())
print("after kill", sleeper:wait())
print("kill again", sleeper:kill())

local hung = assert(process.spawn{ cmd = "sleep", args = { "10" } })
print("kill by name", hung:kill("SIGKILL"))
print("after KILL", hung:wait())

local silent = assert(process.spawn{ cmd = "sleep", args = { "10" }, stdout = "pipe" })
print("read timeout", silent.stdout:read("l", 30))
silent:kill()
print("read after kill", silent.stdout:read("l"))
silent:wait()

print("exec", process.exec("echo", "hello", 42))
print("exec status and stderr", process.exec("sh", "-c", "printf out; printf err >&2; exit 3"))
print("exec killed", process.exec("sh", "-c", "printf partial; kill -9 $$"))
print("stdin null", process.exec("cat"))

-- closing a pipe wakes a task reading it
local quiet = assert(process.spawn{ cmd = "sleep", args = { "10" }, stdout = "pipe" })
spawn(function() sleep(20) quiet.stdout:close() end)
print("closed while reading", quiet.stdout:read("a"))
print("read after close", quiet.stdout:read(1))
quiet:kill()
quiet:wait()
