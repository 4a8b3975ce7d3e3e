-- luacheck configuration for tinn's Lua: the runtime's libraries (lua/, crates/*/src/*.lua), the
-- apps and the examples. test.sh runs `luacheck .` with it.
std = "luajit"

-- Lines up to 140 columns; the shadow page's embedded HTML/CSS/JS strings are not Lua.
max_line_length = 140
max_string_line_length = false

-- The scheduler's words, which tinn/scheduler.lua installs as globals (types/globals.lua lists
-- them), the `tinn` table and the script's `arg`.
read_globals = {
  "spawn", "coop", "yield", "sleep", "delay", "periodic",
  "waitFor", "when", "whenever",
  "waitSignal", "onSignal", "signalOne", "signalAll",
  "run", "stop", "onError",
  "tinn", "arg",
}

include_files = { "lua/**/*.lua", "crates/*/src/*.lua", "apps/**/*.lua", "examples/**/*.lua" }
-- LuaJIT's own tools (jit.v, jit.dump, ...), embedded unchanged from LuaJIT.
exclude_files = { "lua/jit/**" }

-- Callbacks with a fixed signature (HTTP handlers, methods) need not use every argument.
ignore = { "212/req", "212/self" }

-- The scheduler replaces coroutine.resume/wrap (so a task's coroutines yield through it) and
-- os.exit (so exit runs the atExit handlers).
files["lua/tinn/scheduler.lua"] = { globals = { "coroutine.resume", "coroutine.wrap", "os.exit" } }
-- require("fun")() puts fun's functions in the globals, as TINN scripts used them.
files["examples/devices/storage.lua"] = { read_globals = { "each", "filter", "totable", "iter" } }
