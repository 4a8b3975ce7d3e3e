-- tinn/repl: the interactive prompt, run as task 1 by `tinn` on a terminal (crates/tinn/src/repl.rs).
--
-- Each entry is compiled (as `return <entry>` first, so bare expressions print their values),
-- run as a task of its own, and the prompt waits for it; tasks the entry spawned keep running.
-- An entry that does not compile because it ends too early continues on the next line.
-- Ctrl-C while an entry runs arrives as the named signal SIGINT and cancels the entry; a task
-- busy in a loop is interrupted with the error "interrupted" (the scheduler's hook), and entries
-- run in LuaJIT's interpreter (jit.off), where that hook always reaches them.

local host = package.loaded["tinn.repl.host"]
package.loaded["tinn.repl.host"] = nil

local reactor = require("tinn.reactor")
local inspect = require("tinn.inspect")

local await, traceback, uncaughtText = reactor.await, reactor.traceback, reactor.uncaughtText
local format, concat = string.format, table.concat
local loadstring, select, tostring, unpack = loadstring, select, tostring, unpack

local PROMPT, CONTINUE = "> ", ">> "

local HELP = [[
Each entry runs as a task and the prompt waits for it, so sleep(ms), sockets and DNS work here.
  =expr or expr     print the value(s), tables in full (the first value is kept in _)
  statements        run them; `local` names last for that entry only (use globals to keep them)
  Ctrl-C            cancel the running entry, even a busy loop (at the prompt: discard the input)
  .help             this text
  .exit, Ctrl-D     leave (tasks still running are cancelled)]]

local function stdout(s) io.stdout:write(s) io.stdout:flush() end
local function stderr(s) io.stderr:write(s) io.stderr:flush() end

local function readLine(prompt)
  return await(nil, host.readLine(prompt))
end

-- LuaJIT reports a chunk that ends too early as "... near '<eof>'".
local function incomplete(err)
  return err:find("'<eof>'$") ~= nil
end

-- A function for the entry, nil when it needs more lines, or nil and the syntax error.
local function compile(source)
  if source:sub(1, 1) == "=" then source = "return " .. source:sub(2) end
  -- `return select(1, <entry>)` keeps every value but is no tail call of the entry's own
  -- call, so `error("x")` at the prompt still says where (stdin:1).
  local fn = loadstring("return select(1, " .. source .. "\n)", "=stdin")
  local err
  if not fn then fn, err = loadstring(source, "=stdin") end
  if fn then
    -- no hook runs inside a compiled trace: interpreted, a loop typed here stops on Ctrl-C
    jit.off(fn, true)
    return fn
  end
  if incomplete(err) then return nil end
  return nil, err
end

local function onFailure(err)
  -- not a tail call: level 2 must be the entry's own frame
  local text = uncaughtText(err, traceback(nil, 2))
  return text
end

local function pack(...) return { n = select("#", ...), ... } end

local function entryBody(fn)
  return pack(xpcall(fn, onFailure))
end

-- The task running the current entry, for the Ctrl-C watcher.
local running = nil

local function runEntry(fn)
  local task = spawn(entryBody, fn)
  task:name("stdin")
  running = task
  local result, err = task:join()
  running = nil
  if not result then
    stdout(format("(%s)\n", tostring(err)))
  elseif not result[1] then
    stderr(tostring(result[2]) .. "\n")
  elseif result.n > 1 then
    _G._ = result[2]
    stdout(inspect.values(unpack(result, 2, result.n)) .. "\n")
  end
end

-- Ctrl-C outside a read reaches the scheduler as SIGINT; with this watcher waiting, it cancels
-- the entry instead of ending the program.
local function watchInterrupts()
  while true do
    waitSignal("SIGINT")
    if running and running:cancel() then stdout("\n") end
  end
end

-- Errors in tasks an entry spawned are printed above the prompt, which is drawn again; the
-- REPL keeps going. (A failed worker comes with no task.)
local function reportTaskError(err, task)
  local text
  if task then
    local trace = rawget(task, "trace")
    text = format("tinn: error in task %d (%s): %s\n%s\n", task:id(), task:name(), tostring(err), trace or "")
  else
    text = format("tinn: error in a worker: %s\n", tostring(err))
  end
  if not host.report(text) then stderr(text) end
end

local function main()
  onError(reportTaskError)
  reactor.setInterruptKeepsRunning(true)
  spawn(watchInterrupts):name("repl: Ctrl-C")
  stdout(format("tinn %s (%s). Type .help for help, .exit or Ctrl-D to leave.\n", tinn.version,
    jit.version))
  local lines, interrupted = {}, false
  while true do
    local line, why = readLine(#lines == 0 and PROMPT or CONTINUE)
    if line then interrupted = false end
    if not line then
      if why == "interrupted" then
        -- the first Ctrl-C discards the input; a second one in a row explains how to leave
        if interrupted then stdout("(to leave, press Ctrl-D or type .exit)\n") end
        interrupted = true
        lines = {}
      else
        if why ~= "eof" then stderr("tinn: " .. tostring(why) .. "\n") end
        break
      end
    else
      local command = #lines == 0 and line:match("^%s*(%.%a+)%s*$")
      if command == ".exit" then
        break
      elseif command == ".help" then
        stdout(HELP .. "\n")
      elseif #lines > 0 or line:find("%S") then
        lines[#lines + 1] = line
        local source = concat(lines, "\n")
        local fn, err = compile(source)
        if fn or err then
          host.remember(source)
          lines = {}
          if fn then runEntry(fn) else stderr(err .. "\n") end
        end
      end
    end
  end
  stop(0)
end

main()
