-- Change journal throughput (issue 6): a burst of file operations from another process,
-- counted end to end by ChangeJournal and, in the same run, by `inotifywait -m -r`
-- (inotify-tools) when it is installed. Reports operations/s and how many were lost.
--   tinn bench/journal.lua [iterations]     (4 operations and 6 events per iteration)
local ChangeJournal = require("ChangeJournal")
local process = require("tinn.process")
local clock = require("tinn.clock")

local ITERATIONS = tonumber(arg and arg[1]) or 25000
local OPS, EVENTS = ITERATIONS * 4, ITERATIONS * 6

-- The trees are on tmpfs (/dev/shm) when there is one, the journal file on disk: on ext4 the
-- writer set the pace (its inode allocator skipping recently deleted inodes, see bench/shadow.lua).
local function tempdir()
  local dir = os.tmpname()
  os.remove(dir)
  if process.exec("test", "-d", "/dev/shm") == 0 then dir = "/dev/shm/" .. dir:match("[^/]+$") end
  assert(process.exec("mkdir", "-p", dir) == 0)
  return dir
end

-- the writer the journal test uses, in a second tinn process
local WRITER = arg[0]:gsub("[^/]*$", "") .. "../tests/journal/burst_writer.lua"
local function burst(dir)
  return assert(process.spawn{ cmd = "/proc/self/exe", args = { WRITER, dir, tostring(ITERATIONS) } })
end

local function now() return clock.now and clock.now() or os.clock() * 1000 end

-- ChangeJournal
local dir = tempdir()
local journalFile = os.tmpname()
local journal = assert(ChangeJournal(dir, { journalFile = journalFile }))
local started = now()
local writer = burst(dir)
local seen = 0
while seen < EVENTS do
  local entry = journal:waitForNextEntry(nil, nil, 5000)
  if not entry then break end
  if entry.reason ~= ChangeJournal.OVERFLOW then seen = seen + 1 end
end
local elapsed = (now() - started) / 1000
writer:wait()
journal:close()
print(("ChangeJournal: %d operations, %d of %d events, %d lost, %.0f operations/s"):format(
  OPS, seen, EVENTS, EVENTS - seen, OPS / elapsed))
process.exec("rm", "-rf", dir, journalFile, journalFile .. ".tree")

-- inotifywait, counting the same burst
if process.exec("sh", "-c", "command -v inotifywait >/dev/null") ~= 0 then
  print("inotifywait is not installed (apt install inotify-tools): peer skipped")
  return
end
dir = tempdir()
local watcher = assert(process.spawn{ cmd = "inotifywait", args = { "-m", "-r", "-q", "--format", "%e %f", dir },
  stdout = "pipe", stderr = "null" })
sleep(300) -- inotifywait sets up its watches before printing nothing; give it a moment
started = now()
writer = burst(dir)
seen = 0
while seen < EVENTS do
  local line = watcher.stdout:read("l", 5000)
  if not line then break end
  seen = seen + 1
end
elapsed = (now() - started) / 1000
writer:wait()
watcher:kill()
watcher:wait()
print(("inotifywait:   %d operations, %d of %d events, %d lost, %.0f operations/s"):format(
  OPS, seen, EVENTS, EVENTS - seen, OPS / elapsed))
process.exec("rm", "-rf", dir)
