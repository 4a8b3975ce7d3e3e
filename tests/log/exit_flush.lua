-- Lines still buffered when a program ends reach the file: at the normal end, after stop(),
-- after an uncaught error, after os.exit, and lines logged by exit hooks (Ctrl-C:
-- tests/fs_signals.rs).
-- Each case runs in a child tinn whose logger holds lines for a minute (flushMs = 60000).
local fs = require("tinn.fs")
local dir = assert(fs.tempdir("tinn-log-exit"))
local tinnBinary = arg[-1]

local function run(name, body)
  local script = dir .. "/" .. name .. ".lua"
  local logPath = dir .. "/" .. name .. ".log"
  local header = ("local logger = assert(require('tinn.log').open(%q, { flushMs = 60000 }))\n"):format(logPath)
  assert(fs.writeFile(script, header .. body))
  local output = io.popen(("'%s' '%s' 2>&1; echo \"exit $?\""):format(tinnBinary, script)):read("*a")
  print(name, (output:gsub("\n$", ""):gsub("\n", " | "):gsub(" | stack traceback.*(exit %d+)$", " | %1")))
  for line in (fs.readFile(logPath) or ""):gmatch("[^\n]+") do print("", (line:gsub("^%S+ ", ""))) end
end

run("normal", "logger:info('normal end')\n")
run("stop", "logger:warn('before stop')\nspawn(function() sleep(10000) end)\nsleep(1)\nstop(3)\n")
run("error", "logger:error('about to fail')\nerror('boom', 0)\n")
run("hooks", "tinn.atExit(function() logger:info('logged by an exit hook') end)\n" ..
  "tinn.atExit(function() print('flush in a hook', logger:flush()) end)\nlogger:info('main done')\n")
-- issue 15.3: os.exit ends the program as stop() does; the calling task goes no further
run("osexit", "tinn.atExit(function() print('exit hook ran') end)\nlogger:info('before os.exit')\n" ..
  "os.exit(4)\nprint('not reached')\n")
run("osexit_in_task", "spawn(function() logger:info('from a task') os.exit(false) print('not reached') end)\n" ..
  "sleep(10000)\n")
run("osexit_true", "logger:info('exit true')\nos.exit(true, true)\n")
run("osexit_bad", "print(select(2, pcall(os.exit, 300)))\n")
run("closed", "logger:info('closed by the script')\nlogger:close()\nprint('closed', logger:isClosed())\n")

print("cleanup", fs.remove(dir, { recursive = true }))
