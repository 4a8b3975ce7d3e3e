-- tinn shadow: keeps track of file-system activity, ships it to a store, and shows it on a live
-- page where what is shadowed can be changed while it runs (DESIGN.md §7, docs/shadow.md).
--
--   tinn shadow DIR... [--store URL] [--listen 127.0.0.1:8080] [--host NAME]
--   tinn apps/shadow/main.lua DIR ...        (the same, from source)
--
-- Tasks: one shipper per watched tree (journal → store, in batches, with the cursor in the
-- same transaction), the web server with a task per request, a broadcaster pushing to the
-- page's WebSockets at most 10 times a second, and a once-a-second stats task.

-- Run from source, the app's other files are read beside this one; run as `tinn shadow`, they
-- are embedded in the binary as `shadow.*`.
local script = arg and arg[0] or ""
local here = script:match("^(.*/)main%.lua$") or (script == "main.lua" and "./" or nil)
local function load(name)
  if here then return dofile(here .. name .. ".lua") end
  return require("shadow." .. name)
end
local Store = load("store")
local Filter = load("filter")
local web = load("web")
local PAGE = load("page")

local ChangeJournal = require("ChangeJournal")
local fs = require("tinn.fs")
local sys = require("tinn.sys")

local USAGE = "usage: tinn shadow DIR... [--store URL] [--listen 127.0.0.1:8080] [--host NAME] [--token TOKEN]"
--- A batch is shipped when it holds this many entries, or this long after its first one.
local BATCH_ENTRIES, BATCH_MS = 1000, 100
--- Backoff while the store is unreachable, first and longest wait (ms).
local RETRY_FIRST_MS, RETRY_MAX_MS = 100, 5000
--- Events per second are kept for this many seconds (the page's plot).
local RATE_SECONDS = 300
--- How many recent events the page gets when it connects.
local RECENT_EVENTS = 200

local function fail(message)
  io.stderr:write("tinn shadow: ", message, "\n")
  stop(2)
  return nil
end

local function parseArgs(args)
  local options = { dirs = {}, listen = "127.0.0.1:8080" }
  local i = 1
  while i <= #args do
    local a = args[i]
    local flag = a:match("^%-%-(%w+)$")
    if flag == "store" or flag == "listen" or flag == "host" or flag == "token" then
      if not args[i + 1] then return nil, "--" .. flag .. " needs a value\n" .. USAGE end
      options[flag] = args[i + 1]
      i = i + 2
    elseif a == "--help" or a == "-h" then
      return nil, USAGE
    elseif a:sub(1, 1) == "-" then
      return nil, "unknown option " .. a .. "\n" .. USAGE
    else
      options.dirs[#options.dirs + 1] = a
      i = i + 1
    end
  end
  if #options.dirs == 0 then return nil, "no directory to watch\n" .. USAGE end
  return options
end

--- Where tinn keeps its state: $XDG_STATE_HOME/tinn, else ~/.local/state/tinn.
local function stateDir()
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or "/tmp") .. "/.local/state" end
  return base .. "/tinn"
end

--- The kind stored for a journal entry: its first reason that is a shadow kind (CLOSE_WRITE
--- alone is not one: the MODIFY before it already says the file changed). Found once per
--- reason mask: entries mostly repeat a few.
local function firstKind(reasons)
  for _, known in ipairs(Filter.KINDS) do
    for _, reason in ipairs(reasons) do
      if reason == known then return known end
    end
  end
  return false
end

local kindByReason = {}
local function kindOf(entry)
  local kind = kindByReason[entry.reason]
  if kind == nil then
    kind = firstKind(entry.reasons)
    kindByReason[entry.reason] = kind
  end
  return kind or nil
end

local function main(args)
  local options, err = parseArgs(args)
  if not options then return fail(err) end
  options.host = options.host or sys.info().hostname
  if not options.store then
    local dir = stateDir()
    local made, mkdirErr = fs.mkdir(dir, { recursive = true })
    if not made then return fail(mkdirErr) end
    options.store = "sqlite:" .. dir .. "/shadow.db"
  end

  local state = {
    host = options.host,
    storeUrl = (options.store:gsub("//([^:/@]*):[^@/]*@", "//%1@")), -- never show a password
    store = nil,         -- set once the store could be opened
    storeError = nil,
    journals = {},
    counts = {},
    shipped = 0,
    rates = {},          -- second → events shipped in it
    recent = {},         -- the last RECENT_EVENTS events shipped (a ring)
    recentNext = 1,
    outbox = {},         -- events shipped since the last push
  }
  for _, kind in ipairs(Filter.KINDS) do state.counts[kind] = 0 end

  local function connectStore()
    if state.store then return state.store end
    local s, e = Store.open(options.store, options.host)
    state.store, state.storeError = s, e
    return s
  end

  -- the store may be down at start: shippers retry, the page says so
  local store = connectStore()
  -- filters: what the store keeps for this host, else everything
  state.filter = assert(Filter.new({}))
  if store then
    local saved, loadErr = store:loadFilters()
    if saved then
      local filter, filterErr = Filter.new(saved)
      if filter then state.filter = filter else io.stderr:write("tinn shadow: ", filterErr, "\n") end
    elseif loadErr then
      io.stderr:write("tinn shadow: ", loadErr, "\n")
    end
  end

  for _, dir in ipairs(options.dirs) do
    local journal, journalErr = ChangeJournal(dir)
    if not journal then return fail(journalErr) end
    local info = journal:getJournalInfo()
    state.journals[#state.journals + 1] = {
      journal = journal, id = info.journalId, root = info.path, file = info.journalFile,
      cursor = nil, behind = 0,
    }
    print(("shadow: watching %s (journal %s)"):format(info.path, info.journalFile))
  end

  local function remember(events)
    local now = math.floor(tinn.now() / 1000)
    state.rates[now] = (state.rates[now] or 0) + #events
    for _, e in ipairs(events) do
      state.counts[e.kind] = state.counts[e.kind] + 1
      state.recent[state.recentNext] = e
      state.recentNext = state.recentNext % RECENT_EVENTS + 1
      state.outbox[#state.outbox + 1] = e
    end
    state.shipped = state.shipped + #events
  end

  -- Calls attempt(store) until it returns a value, waiting with backoff after each failure.
  -- While the store is unreachable nothing more is read from the journal: memory stays
  -- bounded and the journal keeps the backlog.
  local function untilStored(attempt)
    local wait = RETRY_FIRST_MS
    while true do
      local s = connectStore()
      local result, failure
      if s then result, failure = attempt(s) end
      if result ~= nil then
        state.storeError = nil
        return result
      end
      state.storeError = failure or state.storeError
      sleep(wait)
      wait = math.min(wait * 2, RETRY_MAX_MS)
    end
  end

  local function shipper(j)
    j.cursor = untilStored(function(s) return s:cursor(j.id) end)
    local nextUsn = j.cursor + 1
    while true do
      local entry, waitErr = j.journal:waitForNextEntry(nextUsn)
      if not entry then
        state.journalError = waitErr
        sleep(RETRY_FIRST_MS)
      else
        state.journalError = nil
        local events, lastUsn = {}, nil
        local deadline = tinn.now() + BATCH_MS
        local seen = 0
        while entry do
          seen = seen + 1
          lastUsn, nextUsn = entry.usn, entry.usn + 1
          local kind = kindOf(entry)
          if kind and state.filter:matches(kind, entry.path) then
            events[#events + 1] = { usn = entry.usn, at = entry.timestamp, kind = kind,
              path = entry.path, isDir = entry.isDirectory, root = j.root }
          end
          local left = deadline - tinn.now()
          if seen >= BATCH_ENTRIES or left <= 0 then break end
          entry = j.journal:waitForNextEntry(nextUsn, nil, left)
        end
        untilStored(function(s) return s:ship(j.id, j.root, events, lastUsn) end)
        j.cursor = lastUsn
        remember(events)
      end
    end
  end

  for _, j in ipairs(state.journals) do
    spawn(shipper, j):name("shipper " .. j.root)
  end

  -- once a second: how far behind each journal's store is, and old rates dropped
  periodic(function()
    for _, j in ipairs(state.journals) do
      j.behind = math.max(0, j.journal:getNextUsn() - 1 - (j.cursor or 0))
    end
    local oldest = math.floor(tinn.now() / 1000) - RATE_SECONDS
    for second in pairs(state.rates) do
      if second < oldest then state.rates[second] = nil end
    end
  end, 1000)

  local server, listenErr = web.start(state, {
    listen = options.listen,
    token = options.token,
    page = PAGE,
    recentEvents = function()
      local list = {}
      for i = 0, RECENT_EVENTS - 1 do
        local e = state.recent[(state.recentNext + i - 1) % RECENT_EVENTS + 1]
        if e then list[#list + 1] = e end
      end
      return list
    end,
    rateSeconds = RATE_SECONDS,
    setFilter = function(settings)
      local filter, filterErr = Filter.new(settings)
      if not filter then return nil, filterErr end
      local s = connectStore()
      if not s then return nil, "store unreachable: " .. tostring(state.storeError) end
      local saved, saveErr = s:saveFilters(filter.settings)
      if not saved then return nil, saveErr end
      state.filter = filter
      return filter.settings
    end,
  })
  if not server then return fail(listenErr) end
  print("shadow: store " .. state.storeUrl .. (state.storeError and (" (unreachable: " .. state.storeError .. ")") or ""))
  print("shadow: page at " .. server.url)
  io.stdout:flush()

  local function finish()
    print("shadow: stopping; what is not shipped yet stays in the journal for next time")
    io.stdout:flush()
    server:close()
    stop(0)
  end
  onSignal(finish, "SIGINT")
  onSignal(finish, "SIGTERM")
end

main(arg or {})
