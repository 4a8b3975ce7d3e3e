-- A task that never yields (issues 14.6, 15.7): `tinn busy/spin.lua LOG interp|jit`.
-- flushMs is a minute, so only an exit flush can put the line in the log.
local log = require("tinn.log")
local logger = assert(log.open(arg[1], { flushMs = 60000 }))
logger:info("before the loop")
tinn.atExit(function() print("exit hook ran") end)
-- LuaJIT runs no hooks in compiled code: "interp" keeps this loop in the interpreter; "jit"
-- says "spinning" only once the loop is compiled (the test's handshake), from the JIT's event
if arg[2] == "interp" then
  jit.off()
  print("spinning")
else
  local chunk = debug.getinfo(1, "f").func
  local function compiled(what, _, func)
    if what == "stop" and func == chunk then
      jit.attach(compiled)
      print("spinning")
      io.stdout:flush()
    end
  end
  jit.attach(compiled, "trace")
end
local x = 0
while true do x = x + 1 end
