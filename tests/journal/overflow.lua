-- A kernel queue overflow gives an OVERFLOW entry and a rescan that reports what changed, so
-- nothing is silently lost. The queue is made to hold one event through /proc/sys/fs/inotify/
-- max_queued_events when this process may write it (the size is fixed when the journal's
-- inotify instance is made, so it is restored at once); otherwise the overflow is simulated.
-- One event: the journal empties the queue on a thread of its own, which keeps up with a
-- bigger one, but not between a file's CREATE and CLOSE_WRITE a few microseconds apart.
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")

local FILES = 500
local dir = os.tmpname()
os.remove(dir)
assert(process.exec("mkdir", "-p", dir .. "/tree") == 0)
local marker = dir .. "/done"

local LIMIT = "/proc/sys/fs/inotify/max_queued_events"
local function readLimit()
  local f = io.open(LIMIT, "r")
  if not f then return nil end
  local value = f:read("*l")
  f:close()
  return value
end
local function writeLimit(value)
  local f = io.open(LIMIT, "w")
  if not f then return false end
  local ok = f:write(value) and f:close()
  return ok and readLimit() == tostring(value)
end

local old = readLimit()
local real = old ~= nil and writeLimit(1)
local ok, journal = pcall(ChangeJournal, dir .. "/tree", { journalFile = dir .. "/journal" })
if real then writeLimit(old) end
assert(ok, journal)
assert(journal)

-- the burst comes from another process
assert(process.spawn{ cmd = "sh", args = { "-c",
  ("cd '%s/tree' && for i in $(seq %d); do : > f$i; done && : > '%s'"):format(dir, FILES, marker) } })
local deadline = os.clock() + 20
while os.clock() < deadline do
  local f = io.open(marker, "r")
  if f then f:close() break end
end
if not real then journal:simulateOverflow() end

local overflows, created = 0, {}
while true do
  local e = journal:waitForNextEntry(nil, nil, 300)
  if not e then break end
  if e.reason == ChangeJournal.OVERFLOW then overflows = overflows + 1 end
  if e.reason == ChangeJournal.CREATE then created[e.filename] = true end
end
local all = true
for i = 1, FILES do if not created["f" .. i] then all = false end end
-- which path ran: the real one needs a writable max_queued_events (root, /proc/sys not read-only)
print("overflow", real and "real (kernel queue limited to 1 event)" or "simulated (max_queued_events not writable)")
print("OVERFLOW reported", overflows >= 1)
print("every file reported as created", all)
journal:close()
process.exec("rm", "-rf", dir)
