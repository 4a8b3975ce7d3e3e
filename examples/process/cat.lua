-- Talk to a child process through pipes, and run a command for its output (docs/process.md).
local process = require("tinn.process")

local status, out = process.exec("echo", "hello from", "echo")
print(status, out)                                               --> 0   hello from echo

local cat = assert(process.spawn{ cmd = "cat", stdin = "pipe", stdout = "pipe" })
spawn(function()                                                 -- write from another task
  for i = 1, 3 do cat.stdin:write("line " .. i .. "\n") end
  cat.stdin:close()                                              -- cat sees end of input
end)
for line in cat.stdout:lines() do print("cat says", line) end
print("cat exited with", cat:wait())                             --> 0

local sleeper = assert(process.spawn{ cmd = "sleep", args = { "10" } })
print(sleeper:wait(50))                                          --> nil   timeout
sleeper:kill()
print(sleeper:wait())                                            --> nil   killed by signal 15
print(process.spawn{ cmd = "nosuchcmd" })                        --> nil   spawn 'nosuchcmd': No such file ...
